package io.tiebreak.jobs.ingest;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.fs.Redaction;
import io.tiebreak.jobs.fs.ReplaceableOutput;
import io.tiebreak.jobs.fs.S3ACommitters;
import io.tiebreak.jobs.fs.SerializableConf;
import java.io.IOException;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * {@code tiebreak ingest}: reads a dataset in its published format and writes it as sharded Parquet plus the
 * {@code _dataset.json} manifest. Sources are planned on the driver (headers, sizes, listings) and read by tasks;
 * samples are sharded by index (index mod shards, so every shard holds a spread of the split and shards come out
 * within one sample of each other), written through Spark's committer (the S3A magic committer on s3a://), then
 * read back once to checksum them and compute exact statistics. The manifest is written last and is the commit.
 */
public final class IngestJob {
    private IngestJob() {}

    public static final String MANIFEST = "_dataset.json";
    private static final Logger LOG = LoggerFactory.getLogger(IngestJob.class);

    public static Manifest run(SparkSession spark, IngestOptions options) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        try {
            // Refuse before any work, then plan (reads headers: bad files fail here, before any output exists).
            long t0 = System.nanoTime();
            ReplaceableOutput out = ReplaceableOutput.prepare(HadoopFs.path(options.output()), MANIFEST,
                    options.ifExists(), conf);
            SourcePlan plan = options.dataset().source(options).plan(conf, spark.sparkContext().defaultParallelism());
            LOG.info("ingesting {} from {}: {} (planned in {})", plan.dataset(), plan.source(), describe(plan), since(t0));
            try {
                Manifest m = write(spark, plan, options, out);
                LOG.info("wrote {} to {}", describe(m), Redaction.uri(out.dir().toString()));
                return m;
            } catch (Exception e) {
                out.abort();
                throw e;
            }
        } catch (Exception e) {
            throw userFacing(e, conf);
        }
    }

    private static Manifest write(SparkSession spark, SourcePlan plan, IngestOptions options, ReplaceableOutput out)
            throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SerializableConf sconf = new SerializableConf(conf);
        CollectionAccumulator<SkippedSample> skipped = spark.sparkContext().collectionAccumulator("skipped samples");
        S3ACommitters.configureFor(spark, out.versionDir());

        // One RDD per split, their partitions being the shards; all splits are written by one job (one commit).
        List<JavaRDD<Row>> splits = new ArrayList<>();
        for (SourcePlan.SplitPlan split : plan.splits()) {
            RowShape shape = new RowShape(split.name(), plan.classes(), plan.channels(), plan.height(), plan.width());
            JavaRDD<SourcePart> parts = jsc.parallelize(split.parts(), split.parts().size());
            if (split.partsAreShards()) {
                splits.add(parts.mapPartitions(it -> shape.rows(samples(it, sconf, skipped))));
            } else {
                int shards = shardCount(split.count(), plan.pixelsPerSample(), options.shardBytes());
                splits.add(parts.flatMapToPair(part -> keyed(samples(List.of(part).iterator(), sconf, skipped)))
                        .repartitionAndSortWithinPartitions(new IndexModulo(shards))
                        .mapPartitions(it -> shape.rows(values(it))));
            }
        }
        JavaRDD<Row> rows = splits.get(0);
        for (JavaRDD<Row> more : splits.subList(1, splits.size())) rows = rows.union(more); // keeps each partition
        long t0 = System.nanoTime();
        spark.createDataFrame(rows, DatasetSchema.SPARK).write().parquet(out.versionDir().toString());
        LOG.info("decoded and wrote the shards in {}", since(t0));
        t0 = System.nanoTime();

        List<ShardSummary> shards = summarize(jsc, out, sconf, plan.classes().size());
        Map<String, List<SkippedSample>> skippedBySplit = new TreeMap<>();
        Map<String, SkippedSample> unique = new TreeMap<>(); // task retries may report a sample twice
        for (SkippedSample s : skipped.value()) unique.put(s.split() + "/" + String.format("%020d", s.index()), s);
        for (SkippedSample s : unique.values()) skippedBySplit.computeIfAbsent(s.split(), k -> new ArrayList<>()).add(s);

        Manifest m = manifest(plan, options, out, shards, skippedBySplit);
        out.commit(m.toJson());
        LOG.info("checked the shards and committed the manifest in {}", since(t0));
        return m;
    }

    private static Manifest manifest(SourcePlan plan, IngestOptions options, ReplaceableOutput out,
                                     List<ShardSummary> shards, Map<String, List<SkippedSample>> skipped) {
        Map<String, Manifest.Split> splits = new LinkedHashMap<>();
        for (SourcePlan.SplitPlan sp : plan.splits()) {
            List<ShardSummary> mine = shards.stream().filter(s -> s.split().equals(sp.name()))
                    .sorted(Comparator.comparing(ShardSummary::path)).toList();
            int c = plan.channels();
            long rows = 0;
            long[] sum = new long[c], sumSq = new long[c], counts = new long[plan.classes().size()];
            List<Manifest.Shard> files = new ArrayList<>();
            for (ShardSummary s : mine) {
                if (s.channels() != c || s.height() != plan.height() || s.width() != plan.width()) {
                    throw new IllegalStateException(s.path() + " holds " + s.channels() + "x" + s.height() + "x"
                            + s.width() + " samples, the plan " + c + "x" + plan.height() + "x" + plan.width());
                }
                rows += s.rows();
                for (int k = 0; k < c; k++) {
                    sum[k] += s.channelSum()[k];
                    sumSq[k] += s.channelSumSq()[k];
                }
                for (int k = 0; k < counts.length; k++) counts[k] += s.classCounts()[k];
                files.add(new Manifest.Shard(s.path(), s.rows(), s.bytes(), s.sha256(), s.firstIndex(), s.lastIndex()));
            }
            List<SkippedSample> left = skipped.getOrDefault(sp.name(), List.of());
            if (sp.exact() && rows + left.size() != sp.count()) {
                throw new IllegalStateException("split " + sp.name() + ": wrote " + rows + " samples and skipped "
                        + left.size() + ", but the source holds " + sp.count());
            }
            double[] mean = new double[c], std = new double[c];
            double n = (double) rows * plan.height() * plan.width();
            for (int k = 0; k < c && rows > 0; k++) {
                mean[k] = sum[k] / n / 255.0;
                std[k] = Math.sqrt(Math.max(0, sumSq[k] / n - (sum[k] / n) * (sum[k] / n))) / 255.0;
            }
            splits.put(sp.name(), new Manifest.Split(rows, Arrays.stream(mean).boxed().toList(),
                    Arrays.stream(std).boxed().toList(), Arrays.stream(counts).boxed().toList(), files, left));
        }
        return new Manifest(Manifest.FORMAT, Manifest.VERSION, plan.dataset(), out.versionName(), Instant.now().toString(),
                plan.source(), merged(plan.options(), options.recorded()), plan.channels(), plan.height(), plan.width(),
                plan.classes(), splits);
    }

    /** Reads every written shard back once, in parallel: checksums, counts and statistics. */
    private static List<ShardSummary> summarize(JavaSparkContext jsc, ReplaceableOutput out, SerializableConf sconf,
                                                int classes) throws IOException {
        String top = out.dir().toUri().getPath();
        List<String> files = new ArrayList<>();
        for (FileStatus f : HadoopFs.listVisibleFiles(out.versionDir(), sconf.get())) {
            if (f.getPath().getName().endsWith(".parquet")) files.add(f.getPath().toUri().getPath().substring(top.length() + 1));
        }
        if (files.isEmpty()) return List.of();
        String dir = out.dir().toString();
        return jsc.parallelize(files, files.size())
                .map(rel -> ShardSummary.compute(new Path(dir, rel), rel, sconf.get(), classes)).collect();
    }

    private static Map<String, String> merged(Map<String, String> a, Map<String, String> b) {
        Map<String, String> m = new TreeMap<>(a);
        m.putAll(b);
        return m;
    }

    /** The samples of the given parts, closed when the task ends however it ends. */
    private static Iterator<Sample> samples(Iterator<SourcePart> parts, SerializableConf conf,
                                            CollectionAccumulator<SkippedSample> skipped) {
        return new Iterator<>() {
            SampleIterator current;

            @Override
            public boolean hasNext() {
                while (current == null || !current.hasNext()) {
                    if (!parts.hasNext()) return false;
                    SourcePart part = parts.next();
                    try {
                        current = part.open(conf.get(), skipped::add);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(part.describe() + ": " + e.getMessage(), e);
                    }
                    SampleIterator opened = current;
                    TaskContext tc = TaskContext.get();
                    if (tc != null) tc.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> closeQuietly(opened));
                }
                return true;
            }

            @Override
            public Sample next() {
                if (!hasNext()) throw new java.util.NoSuchElementException();
                return current.next();
            }
        };
    }

    private static void closeQuietly(SampleIterator it) {
        try {
            it.close();
        } catch (IOException | RuntimeException ignored) {
            // the task is over; a failing close changes nothing that was read
        }
    }

    private static Iterator<Tuple2<Long, Sample>> keyed(Iterator<Sample> it) {
        return new Iterator<>() {
            @Override public boolean hasNext() { return it.hasNext(); }
            @Override public Tuple2<Long, Sample> next() {
                Sample s = it.next();
                return new Tuple2<>(s.index(), s);
            }
        };
    }

    private static Iterator<Sample> values(Iterator<Tuple2<Long, Sample>> it) {
        return new Iterator<>() {
            @Override public boolean hasNext() { return it.hasNext(); }
            @Override public Sample next() { return it.next()._2(); }
        };
    }

    /** Shards for a split: its pixel bytes over the target, at least 1, at most one per sample (and 100000). */
    static int shardCount(long samples, long bytesPerSample, long shardBytes) {
        long bySize = (samples * bytesPerSample + shardBytes - 1) / shardBytes;
        return (int) Math.max(1, Math.min(Math.min(bySize, samples), 100_000));
    }

    /** Sample index i goes to shard i mod n: shards are equal to within one sample and each spans the split. */
    static final class IndexModulo extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final int n;

        IndexModulo(int n) { this.n = n; }

        @Override public int numPartitions() { return n; }
        @Override public int getPartition(Object key) { return (int) Math.floorMod((Long) key, (long) n); }
        @Override public boolean equals(Object o) { return o instanceof IndexModulo m && m.n == n; }
        @Override public int hashCode() { return n; }
    }

    /** Turns samples of one split into rows, checking each against the plan's shape and classes. */
    record RowShape(String split, List<String> classes, int channels, int height, int width) implements Serializable {
        Iterator<Row> rows(Iterator<Sample> samples) {
            int per = channels * height * width;
            return new Iterator<>() {
                @Override public boolean hasNext() { return samples.hasNext(); }

                @Override
                public Row next() {
                    Sample s = samples.next();
                    if (s.pixels().length != per || s.label() < 0 || s.label() >= classes.size()) {
                        throw new IllegalStateException("sample " + s.index() + " of " + split + " has " + s.pixels().length
                                + " pixel bytes and label " + s.label() + "; expected " + per + " and [0, " + classes.size() + ")");
                    }
                    return DatasetSchema.row(split, s, classes.get(s.label()), height, width, channels);
                }
            };
        }
    }

    private static String since(long t0) {
        return String.format("%.1f s", (System.nanoTime() - t0) / 1e9);
    }

    private static String describe(SourcePlan plan) {
        StringBuilder sb = new StringBuilder(plan.channels() + "x" + plan.height() + "x" + plan.width() + ", "
                + plan.classes().size() + " classes");
        for (SourcePlan.SplitPlan s : plan.splits()) {
            sb.append(", ").append(s.name()).append(' ').append(s.exact() ? "" : "~").append(s.count());
        }
        return sb.toString();
    }

    private static String describe(Manifest m) {
        StringBuilder sb = new StringBuilder(m.dataset());
        m.splits().forEach((k, v) -> sb.append(", ").append(k).append(' ').append(v.count()).append(" samples in ")
                .append(v.shards().size()).append(" shards").append(v.skipped().isEmpty() ? "" : " (" + v.skipped().size() + " skipped)"));
        return sb.toString();
    }

    /**
     * What the user sees when the job fails: a user error found anywhere in the cause chain (a task's error arrives
     * wrapped in Spark's) becomes one clear message; anything else a failure. Both are redacted, and the original
     * exception is not attached, so no credential can reach the console through a cause's message.
     */
    static RuntimeException userFacing(Exception e, Configuration conf) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof UserError || t instanceof IllegalArgumentException) {
                return new UserError(Redaction.redact(t.getMessage(), conf));
            }
        }
        StringBuilder msg = new StringBuilder("ingest failed: " + e);
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) msg.append("; caused by ").append(t);
        RuntimeException r = new RuntimeException(Redaction.redact(msg.toString(), conf));
        r.setStackTrace(e.getStackTrace());
        return r;
    }
}
