package io.tiebreak.runtime.train;

import java.io.IOException;
import java.util.Optional;

/**
 * Where a run keeps its per-epoch checkpoints. Implementations: a local directory here, Hadoop FileSystem paths
 * (HDFS, s3a://) in the jobs module. {@link #save} is atomic: readers see the old or the new checkpoint, never a part.
 *
 * <p>A checkpoint is two files: the training state (safetensors: equal states give byte-identical files) and, beside
 * it, the wall-clock seconds of its epochs, which are measurements, not state.
 */
public interface CheckpointStore {
    /** A stored checkpoint: the state's bytes and, when its file survived, the timing's. */
    record Saved(byte[] state, Optional<byte[]> timing) {}

    /** The newest checkpoint, if any. */
    Optional<Saved> latest() throws IOException;

    /** Stores the checkpoint taken after epoch (numbered from 1: the number of epochs trained), replacing older ones: the timing first, then the state. */
    void save(int epoch, byte[] state, byte[] timing) throws IOException;

    /** A store that keeps nothing (runs that need no resume). */
    CheckpointStore NONE = new CheckpointStore() {
        @Override public Optional<Saved> latest() { return Optional.empty(); }
        @Override public void save(int epoch, byte[] state, byte[] timing) {}
    };
}
