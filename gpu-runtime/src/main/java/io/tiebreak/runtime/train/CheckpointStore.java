package io.tiebreak.runtime.train;

import java.io.IOException;
import java.util.Optional;

/**
 * Where a run keeps its per-epoch checkpoints (safetensors bytes). Implementations: a local directory here, Hadoop
 * FileSystem paths (HDFS, s3a://) in the jobs module. {@link #save} is atomic: readers see the old or the new
 * checkpoint, never a part.
 */
public interface CheckpointStore {
    /** The newest checkpoint, if any. */
    Optional<byte[]> latest() throws IOException;

    /** Stores the checkpoint taken after epoch (numbered from 1: the number of epochs trained), replacing older ones. */
    void save(int epoch, byte[] safetensors) throws IOException;

    /** A store that keeps nothing (runs that need no resume). */
    CheckpointStore NONE = new CheckpointStore() {
        @Override public Optional<byte[]> latest() { return Optional.empty(); }
        @Override public void save(int epoch, byte[] bytes) {}
    };
}
