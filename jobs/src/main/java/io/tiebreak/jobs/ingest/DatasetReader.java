package io.tiebreak.jobs.ingest;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.fs.Redaction;
import io.tiebreak.runtime.data.ImageData;
import io.tiebreak.runtime.data.InMemoryImages;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * How training reads an ingested dataset (on executors, without Spark). A split small enough is loaded whole, once
 * per JVM, into an {@link InMemoryImages} that every run in that JVM shares; a larger one (ImageNet) is streamed
 * shard by shard ({@link StreamingImages}), so memory stays flat whatever the dataset size. Shards are taken from
 * the manifest, never from a listing, and their SHA-256 is checked as they are read.
 */
public final class DatasetReader {
    private DatasetReader() {}

    /**
     * @param inMemoryLimitBytes splits with at most this many pixel bytes are loaded whole (capped by Java's largest
     *                           array)
     * @param prefetchShards     shards a stream decodes ahead of training
     */
    public record Options(long inMemoryLimitBytes, int prefetchShards) {
        public Options {
            if (prefetchShards < 1) throw new IllegalArgumentException("prefetchShards must be at least 1");
        }

        public static final Options DEFAULT = new Options(2L << 30, 2);
    }

    /** Java arrays hold at most this many bytes. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private record Cached(String ingestId, InMemoryImages data) {}

    private static final ConcurrentHashMap<String, Cached> CACHE = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, Object> LOCKS = new ConcurrentHashMap<>();

    public static Manifest manifest(String dataset, Configuration conf) throws IOException {
        return manifest(HadoopFs.qualify(HadoopFs.path(dataset), conf), conf);
    }

    static Manifest manifest(Path dir, Configuration conf) throws IOException {
        Path file = new Path(dir, IngestJob.MANIFEST);
        return Manifest.parse(HadoopFs.readAll(file, conf, 256L << 20), Redaction.uri(file.toString()));
    }

    public static ImageData open(String dataset, String split, Configuration conf) throws IOException {
        return open(dataset, split, conf, Options.DEFAULT);
    }

    public static ImageData open(String dataset, String split, Configuration conf, Options options) throws IOException {
        Path dir = HadoopFs.qualify(HadoopFs.path(dataset), conf);
        Manifest m = manifest(dir, conf);
        Manifest.Split s = m.split(split);
        long bytes = s.count() * m.channels() * m.height() * m.width();
        if (bytes <= Math.min(options.inMemoryLimitBytes(), MAX_ARRAY)) return inMemory(dir, m, split, conf);
        return new StreamingImages(dir, m, split, conf, options.prefetchShards());
    }

    /** The split whole in memory, loaded once per JVM and per ingest (a re-ingest is loaded afresh). */
    static InMemoryImages inMemory(Path dir, Manifest m, String split, Configuration conf) throws IOException {
        String key = dir + "#" + split;
        synchronized (LOCKS.computeIfAbsent(key, k -> new Object())) {
            Cached c = CACHE.get(key);
            if (c != null && c.ingestId().equals(m.ingestId())) return c.data();
            CACHE.remove(key); // let the old version go before loading the new one
            InMemoryImages data = load(dir, m, split, conf);
            CACHE.put(key, new Cached(m.ingestId(), data));
            return data;
        }
    }

    /** Drops every cached split (tests, or an executor that needs the memory back). */
    public static void clearCache() {
        CACHE.clear();
    }

    /**
     * Reads the shards one after another into one array, each sample at its place in index order. Indexes run from 0
     * with gaps only where the manifest lists a skipped sample, so a sample's place is its index minus the skipped
     * ones before it; memory holds the split plus one shard.
     */
    private static InMemoryImages load(Path dir, Manifest m, String split, Configuration conf) throws IOException {
        Manifest.Split s = m.split(split);
        int per = m.channels() * m.height() * m.width(), n = (int) s.count();
        byte[] pixels = new byte[Math.multiplyExact(n, per)];
        int[] labels = new int[n];
        long[] skipped = s.skipped().stream().mapToLong(SkippedSample::index).sorted().toArray();
        java.util.BitSet filled = new java.util.BitSet(n);
        for (Manifest.Shard shard : s.shards()) {
            ShardFile.Contents c = readShard(dir, m, shard, conf);
            for (int r = 0; r < c.rows(); r++) {
                long index = c.index()[r];
                int before = Arrays.binarySearch(skipped, index);
                if (before >= 0) throw BadInput.in(Redaction.uri(dir.toString()), "sample " + index + " of " + split + " is listed as skipped but present in " + shard.path());
                long pos = index - (-before - 1);
                if (pos < 0 || pos >= n || filled.get((int) pos)) {
                    throw BadInput.in(Redaction.uri(dir.toString()), "sample " + index + " of " + split + " in " + shard.path()
                            + " is out of place or appears twice (" + n + " samples, " + skipped.length + " skipped)");
                }
                filled.set((int) pos);
                System.arraycopy(c.pixels(), r * per, pixels, (int) pos * per, per);
                labels[(int) pos] = c.label()[r];
            }
        }
        return new InMemoryImages(m.channels(), m.height(), m.width(), m.classes(), pixels, labels);
    }

    /**
     * Checks, before anything trains on them, that the shards of the given splits are all there with the sizes the
     * manifest lists (one listing of the dataset folder); their checksums are checked as each shard is read, before
     * its samples are used. A shard missing or of another size is bad input naming it.
     */
    public static void requireShards(String dataset, java.util.Collection<String> splits, Configuration conf)
            throws IOException {
        Path dir = HadoopFs.qualify(HadoopFs.path(dataset), conf);
        Manifest m = manifest(dir, conf);
        java.util.Map<String, Long> sizes = new java.util.HashMap<>();
        String top = dir.toUri().getPath();
        for (org.apache.hadoop.fs.FileStatus f : HadoopFs.listFilesRecursively(dir, conf)) {
            String p = f.getPath().toUri().getPath();
            if (p.startsWith(top + "/")) sizes.put(p.substring(top.length() + 1), f.getLen());
        }
        for (String split : splits) {
            for (Manifest.Shard shard : m.split(split).shards()) {
                Long size = sizes.get(shard.path());
                if (size == null || size != shard.bytes()) {
                    throw modified(Redaction.uri(new Path(dir, shard.path()).toString()), size == null ? "is missing"
                            : "holds " + size + " bytes, the manifest lists " + shard.bytes());
                }
            }
        }
    }

    /** A shard that no longer is what the ingest wrote: bad input, with what to do about it. */
    private static UserError modified(String shard, String what) {
        return BadInput.in(shard, what + ": the dataset was modified after ingest; ingest it again (tiebreak ingest"
                + " ... --replace)");
    }

    /** Reads one shard listed in the manifest: checks its size, checksum, split and shape. */
    static ShardFile.Contents readShard(Path dir, Manifest m, Manifest.Shard shard, Configuration conf) throws IOException {
        Path p = new Path(dir, shard.path());
        String shown = Redaction.uri(p.toString());
        byte[] bytes;
        try {
            bytes = HadoopFs.readAll(p, conf, MAX_ARRAY);
        } catch (org.apache.hadoop.fs.ChecksumException e) { // the file system's own checksums (local, HDFS)
            throw modified(shown, "is damaged (" + firstLine(e.getMessage()) + ")");
        }
        if (bytes.length != shard.bytes() || !ShardSummary.sha256(bytes).equals(shard.sha256())) {
            throw modified(shown, "does not match the manifest (" + bytes.length + " bytes, expected " + shard.bytes()
                    + " with SHA-256 " + shard.sha256() + ")");
        }
        ShardFile.Contents c = ShardFile.read(bytes, shown, shard.rows() * m.channels() * m.height() * m.width());
        if (c.rows() != shard.rows() || c.channels() != m.channels() || c.height() != m.height() || c.width() != m.width()) {
            throw BadInput.in(shown, "holds " + c.rows() + " rows of " + c.channels() + "x" + c.height() + "x" + c.width()
                    + ", the manifest says " + shard.rows() + " of " + m.channels() + "x" + m.height() + "x" + m.width());
        }
        return c;
    }

    private static String firstLine(String s) {
        return s == null || s.indexOf('\n') < 0 ? s : s.substring(0, s.indexOf('\n'));
    }
}
