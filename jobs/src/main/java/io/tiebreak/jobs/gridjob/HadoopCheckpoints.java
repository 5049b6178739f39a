package io.tiebreak.jobs.gridjob;

import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.runtime.train.CheckpointStore;
import java.io.IOException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * A run's checkpoints in a folder reached through Hadoop's FileSystem (local, HDFS, s3a://), one state file per
 * epoch, {@code epoch-00007.safetensors} holding the state after 7 epochs (epochs numbered from 1, as in the tables;
 * folders written before December 2026 named that file epoch-00006, and still resume: a checkpoint says itself how
 * many epochs it holds), with its wall-clock timing beside it ({@code epoch-00007.timing.json}, written first). Each
 * file appears whole (see {@link HadoopFs#writeAtomically}); the newest complete state is what a retried task or a
 * re-run sweep resumes from. Keeping only the last (the default) deletes
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

    static String timingName(int epoch) { return String.format("epoch-%05d.timing.json", epoch); }

    private static final Pattern ANY_EPOCH_FILE = Pattern.compile("epoch-(\\d{5,})\\.(safetensors|timing\\.json)");

    /** The checkpoint a run with folder runDir writes after epoch (from 1); it exists if the run kept it. */
    public static Path file(Path runDir, int epoch) { return new Path(runDir, fileName(epoch)); }

    /**
     * The checkpoint holding the state after epoch (from 1): {@link #file}, or in a folder written before epochs were
     * numbered from 1, the file one number lower; each candidate is checked by the epochs it holds. Empty when
     * neither exists (a file that exists but cannot be read is returned: its reader says what is wrong).
     */
    public static Optional<Path> find(Path runDir, int epoch, Configuration conf) throws IOException {
        Path current = file(runDir, epoch);
        boolean exists = HadoopFs.exists(current, conf);
        Integer held = exists ? epochsIn(current, conf) : null;
        if (exists && (held == null || held == epoch)) return Optional.of(current);
        if (epoch >= 1) {
            Path older = file(runDir, epoch - 1);
            if (HadoopFs.exists(older, conf) && Integer.valueOf(epoch).equals(epochsIn(older, conf))) return Optional.of(older);
        }
        return exists ? Optional.of(current) : Optional.empty();
    }

    /** How many epochs a checkpoint holds, from its safetensors header alone; null if the header cannot be read. */
    static Integer epochsIn(Path file, Configuration conf) throws IOException {
        try (var in = HadoopFs.open(file, conf)) {
            byte[] len = in.readNBytes(8);
            if (len.length < 8) return null;
            long n = java.nio.ByteBuffer.wrap(len).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            if (n <= 0 || n > (64 << 20)) return null;
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            var meta = json.readTree(in.readNBytes((int) n)).path("__metadata__").path("epochs");
            return meta.isTextual() ? json.readTree(meta.asText()).size() : null;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return null;
        }
    }

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
    public Optional<Saved> latest() throws IOException {
        int epoch = latestEpoch();
        if (epoch < 0) return Optional.empty();
        byte[] state = HadoopFs.readAll(new Path(dir, fileName(epoch)), conf, Integer.MAX_VALUE - 8);
        Path timing = new Path(dir, timingName(epoch));
        return Optional.of(new Saved(state, HadoopFs.exists(timing, conf)
                ? Optional.of(HadoopFs.readAll(timing, conf, 1 << 24)) : Optional.empty()));
    }

    @Override
    public void save(int epoch, byte[] state, byte[] timing) throws IOException {
        HadoopFs.writeAtomically(new Path(dir, timingName(epoch)), timing, conf);
        HadoopFs.writeAtomically(new Path(dir, fileName(epoch)), state, conf);
        if (keepAll) return;
        for (FileStatus st : HadoopFs.children(dir, conf)) {
            Matcher m = ANY_EPOCH_FILE.matcher(st.getPath().getName());
            if (m.matches() && Integer.parseInt(m.group(1)) < epoch) HadoopFs.deleteQuietly(st.getPath(), conf);
        }
    }
}
