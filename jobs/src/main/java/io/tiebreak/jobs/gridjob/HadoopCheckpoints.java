package io.tiebreak.jobs.gridjob;

import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.fs.Redaction;
import io.tiebreak.runtime.train.CheckpointException;
import io.tiebreak.runtime.train.CheckpointStore;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * A run's checkpoints in a folder reached through Hadoop's FileSystem (local, HDFS, s3a://), one file per epoch,
 * {@code epoch-00007.safetensors}. Each file appears whole (see {@link HadoopFs#writeAtomically}); the newest
 * complete one is what a retried task or a re-run sweep resumes from. Keeping only the last (the default) deletes
 * older files after each save; keeping all leaves one per epoch, for zones along training.
 */
public final class HadoopCheckpoints implements CheckpointStore {
    private static final Pattern NAME = Pattern.compile("epoch-(\\d{5,})\\.safetensors");

    private final Path dir;
    private final Configuration conf;
    private final boolean keepAll;

    public HadoopCheckpoints(Path dir, Configuration conf, boolean keepAll) {
        this.dir = dir;
        this.conf = conf;
        this.keepAll = keepAll;
    }

    public static String fileName(int epoch) { return String.format("epoch-%05d.safetensors", epoch); }

    /** The checkpoint a run with folder runDir writes after epoch (0-based); it exists if the run kept it. */
    public static Path file(Path runDir, int epoch) { return new Path(runDir, fileName(epoch)); }

    /** The epoch of the newest checkpoint file, or -1. */
    public int latestEpoch() throws IOException {
        int best = -1;
        for (FileStatus st : HadoopFs.children(dir, conf)) {
            Matcher m = NAME.matcher(st.getPath().getName());
            if (st.isFile() && m.matches()) best = Math.max(best, Integer.parseInt(m.group(1)));
        }
        return best;
    }

    @Override
    public Optional<Stored> latest() throws IOException {
        int epoch = latestEpoch();
        return epoch < 0 ? Optional.empty() : Optional.of(read(new Path(dir, fileName(epoch)), conf));
    }

    /**
     * Reads a checkpoint file. One the file system finds damaged (its own checksums: local, HDFS) is a corrupt
     * checkpoint; any other failure to read it is an I/O error naming it.
     */
    public static Stored read(Path file, Configuration conf) throws IOException {
        String shown = Redaction.uri(file.toString());
        try {
            return new Stored(shown, HadoopFs.readAll(file, conf, Integer.MAX_VALUE - 8));
        } catch (ChecksumException e) {
            throw new CheckpointException(shown, "corrupt checkpoint: the file system's checksum failed ("
                    + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new IOException(shown + ": cannot read the checkpoint (" + e + ")", e);
        }
    }

    /** Epoch of the newest checkpoint file of every run under a checkpoints root (run_id -> epoch), in one listing. */
    public static Map<String, Integer> latestEpochs(Path root, Configuration conf) throws IOException {
        Map<String, Integer> out = new HashMap<>();
        if (!HadoopFs.exists(root, conf)) return out;
        for (FileStatus st : HadoopFs.listFilesRecursively(root, conf)) {
            Matcher m = NAME.matcher(st.getPath().getName());
            if (m.matches()) out.merge(st.getPath().getParent().getName(), Integer.parseInt(m.group(1)), Math::max);
        }
        return out;
    }

    @Override
    public void save(int epoch, byte[] safetensors) throws IOException {
        HadoopFs.writeAtomically(new Path(dir, fileName(epoch)), safetensors, conf);
        if (keepAll) return;
        for (FileStatus st : HadoopFs.children(dir, conf)) {
            Matcher m = NAME.matcher(st.getPath().getName());
            if (m.matches() && Integer.parseInt(m.group(1)) < epoch) HadoopFs.deleteQuietly(st.getPath(), conf);
        }
    }
}
