package io.tiebreak.jobs.results;

import io.tiebreak.jobs.fs.HadoopFs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;

/**
 * The results folder: one folder per table, each a set of waves. A wave is one Spark write (Spark's commit protocol:
 * task commits, then a job commit that ends with a {@code _SUCCESS} marker) into its own folder
 * {@code <table>/wave-<millis>-<id>/}. Readers take only waves whose marker exists, so a write that is under way, or
 * that died half-way, is never seen, on local disks, HDFS and S3A committers alike; a finished write is visible at
 * once, while the sweep goes on.
 *
 * <p>Read results through {@link #registerViews()} (what {@code tiebreak sql} does), not by pointing Spark at a table
 * folder: a plain directory read would also see waves still being written.
 */
public final class ResultStore {
    /** Scheduler pool of result writes: under FAIR scheduling it takes the next free slot ahead of training tasks. */
    public static final String POOL = "tiebreak-results";

    static final String WAVE_PREFIX = "wave-";

    /** Waves older than this without a commit marker are left-overs of a dead driver and are removed. */
    public static final long ABANDONED_WAVE_MILLIS = java.util.concurrent.TimeUnit.HOURS.toMillis(1);

    /**
     * Settings a session that writes results should start with: FAIR scheduling with the pools of
     * fairscheduler.xml (copied to a local file, which Spark reads on the driver whatever the deploy mode).
     */
    public static java.util.Map<String, String> sessionDefaults() {
        java.util.Map<String, String> d = new java.util.LinkedHashMap<>();
        d.put("spark.scheduler.mode", "FAIR");
        try (var in = ResultStore.class.getResourceAsStream("fairscheduler.xml")) {
            java.nio.file.Path f = java.nio.file.Files.createTempFile("tiebreak-fairscheduler-", ".xml");
            f.toFile().deleteOnExit();
            java.nio.file.Files.copy(in, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            d.put("spark.scheduler.allocation.file", f.toUri().toString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the scheduler pools file", e);
        }
        // Result tables are wide (every config column): keep Spark from warning that it shortened a plan string.
        d.put("spark.sql.debug.maxToStringFields", "500");
        return d;
    }
    static final String SUCCESS = "_SUCCESS";

    private final SparkSession spark;
    private final Path root;

    public ResultStore(SparkSession spark, String root) {
        this.spark = spark;
        this.root = new Path(root);
    }

    public Path root() { return root; }

    public Path tableDir(Tables.Table table) { return new Path(root, table.id()); }

    /** Where run checkpoints live, one folder per run_id. */
    public Path checkpointDir() { return new Path(root, "checkpoints"); }

    private Configuration hadoop() { return spark.sparkContext().hadoopConfiguration(); }

    private FileSystem fs() throws IOException { return root.getFileSystem(hadoop()); }

    /**
     * Committed waves of a table, oldest first: wave folders holding a _SUCCESS marker. Object stores give it in one
     * flat listing. Elsewhere only the table folder is listed, never inside a wave: a wave being committed has files
     * under _temporary that come and go while we list (a recursive walk tripped over one that had just vanished).
     */
    public List<Path> committedWaves(Tables.Table table) throws IOException {
        Path dir = tableDir(table);
        FileSystem fs = fs();
        if (!fs.exists(dir)) return List.of();
        TreeSet<String> names = new TreeSet<>();
        if (HadoopFs.isObjectStore(dir, hadoop())) {
            for (FileStatus f : HadoopFs.listFilesRecursively(dir, hadoop())) {
                Path wave = f.getPath().getParent();
                if (f.getPath().getName().equals(SUCCESS) && wave.getName().startsWith(WAVE_PREFIX)
                        && wave.getParent().getName().equals(table.id())) {
                    names.add(wave.getName());
                }
            }
        } else {
            for (FileStatus wave : fs.listStatus(dir, p -> p.getName().startsWith(WAVE_PREFIX))) {
                if (wave.isDirectory() && fs.exists(new Path(wave.getPath(), SUCCESS))) names.add(wave.getPath().getName());
            }
        }
        List<Path> out = new ArrayList<>();
        for (String n : names) out.add(new Path(dir, n));
        return out;
    }

    /** A table's committed rows (empty, with the declared schema, when nothing is committed yet). */
    public Dataset<Row> read(Tables.Table table) {
        try {
            List<Path> waves = committedWaves(table);
            if (waves.isEmpty()) {
                if (table.schema() == null) return null;
                return spark.createDataFrame(List.of(), table.schema());
            }
            String[] paths = waves.stream().map(Path::toString).toArray(String[]::new);
            return table.schema() == null ? spark.read().parquet(paths) : spark.read().schema(table.schema()).parquet(paths);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list " + tableDir(table), e);
        }
    }

    /** The runs table with one row per run_id: its latest attempt. */
    public Dataset<Row> latestRuns() {
        return latest(read(Tables.Table.RUNS));
    }

    /**
     * The latest attempt of each run, of only the given columns (narrower reads are much cheaper: the table is
     * wide). run_id and attempt are always included.
     */
    public Dataset<Row> latestRuns(java.util.Collection<String> columns) {
        java.util.LinkedHashSet<String> cols = new java.util.LinkedHashSet<>(List.of("run_id", "attempt"));
        cols.addAll(columns);
        return latest(read(Tables.Table.RUNS).selectExpr(cols.stream().map(c -> "`" + c + "`").toArray(String[]::new)));
    }

    private static Dataset<Row> latest(Dataset<Row> runs) {
        return runs.withColumn("_latest", functions.row_number().over(
                        Window.partitionBy("run_id").orderBy(functions.col("attempt").desc())))
                .filter("_latest = 1").drop("_latest");
    }

    /** Writes rows as one new wave of the table; returns the wave's folder. Visible to readers only when whole. */
    public Path append(Tables.Table table, List<Row> rows) {
        Path wave = new Path(tableDir(table),
                String.format("%s%013d-%s", WAVE_PREFIX, System.currentTimeMillis(), UUID.randomUUID().toString().substring(0, 8)));
        String previousPool = spark.sparkContext().getLocalProperty("spark.scheduler.pool");
        spark.sparkContext().setLocalProperty("spark.scheduler.pool", POOL);
        try {
            spark.createDataFrame(rows, table.schema()).coalesce(1)
                    .write().mode(SaveMode.ErrorIfExists).parquet(wave.toString());
        } catch (RuntimeException e) {
            // A failure after the job commit (the marker is written last) still committed the wave: writing it
            // again would duplicate every row.
            if (committed(wave)) return wave;
            throw e;
        } finally {
            spark.sparkContext().setLocalProperty("spark.scheduler.pool", previousPool);
        }
        return wave;
    }

    private boolean committed(Path wave) {
        try {
            return fs().exists(new Path(wave, SUCCESS));
        } catch (IOException e) {
            return false;
        }
    }

    /** No committed wave yet (spares a Spark job on a fresh results folder). */
    private boolean isEmpty(Tables.Table table) {
        try {
            return committedWaves(table).isEmpty();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list " + tableDir(table), e);
        }
    }

    /** Latest status and attempt number of every run that has a runs row. */
    public Map<String, RunState> runStates() {
        Map<String, RunState> out = new HashMap<>();
        if (isEmpty(Tables.Table.RUNS)) return out;
        // One small row per attempt, folded here: cheaper than a window (a shuffle) on the driver's first query.
        for (Row r : read(Tables.Table.RUNS).select("run_id", "status", "attempt").collectAsList()) {
            RunState st = new RunState(Status.parse(r.getString(1)), r.getInt(2));
            out.merge(r.getString(0), st, (a, b) -> a.attempts() >= b.attempts() ? a : b);
        }
        return out;
    }

    /** Latest status of a run and how many attempts it has had. */
    public record RunState(Status status, int attempts) {}

    /** The learning rate lr-search chose per configuration id (its rows of kind "best"). */
    public Map<String, Double> bestLrs() {
        Map<String, Double> out = new HashMap<>();
        if (isEmpty(Tables.Table.LR_TRIALS)) return out;
        for (Row r : read(Tables.Table.LR_TRIALS).filter(functions.col("kind").equalTo(TrialOutcome.BEST))
                .select("config_id", "lr", "finished_at").orderBy("finished_at").collectAsList()) {
            out.put(r.getString(0), r.getDouble(1));
        }
        return out;
    }

    /** The minibatch indexes committed for each zones configuration (zone_id). */
    public Map<String, java.util.BitSet> zoneMinibatches() {
        Map<String, java.util.BitSet> out = new HashMap<>();
        for (Row r : read(Tables.Table.ZONES).select("zone_id", "minibatch").collectAsList()) {
            out.computeIfAbsent(r.getString(0), k -> new java.util.BitSet()).set(r.getInt(1));
        }
        return out;
    }

    /** Runs whose epoch rows are committed (normally exactly the completed and diverged ones). */
    public Set<String> runIdsWithEpochs() {
        Set<String> out = new HashSet<>();
        if (isEmpty(Tables.Table.EPOCHS)) return out;
        for (Row r : read(Tables.Table.EPOCHS).select("run_id").distinct().collectAsList()) out.add(r.getString(0));
        return out;
    }

    /**
     * Deletes wave folders without a commit marker older than the given age: writes that died with their driver.
     * Younger ones may belong to a write under way and stay.
     */
    public int removeAbandonedWaves(long olderThanMillis) throws IOException {
        FileSystem fs = fs();
        int removed = 0;
        long cutoff = System.currentTimeMillis() - olderThanMillis;
        for (Tables.Table t : Tables.Table.values()) {
            Path dir = tableDir(t);
            if (!fs.exists(dir)) continue;
            Set<String> committed = new HashSet<>();
            for (Path w : committedWaves(t)) committed.add(w.getName());
            for (FileStatus st : fs.listStatus(dir)) {
                Path p = st.getPath();
                if (st.isDirectory() && p.getName().startsWith(WAVE_PREFIX) && !committed.contains(p.getName())
                        && st.getModificationTime() < cutoff) {
                    if (fs.delete(p, true)) removed++;
                }
            }
        }
        return removed;
    }

    /**
     * Registers the views {@code runs} (latest attempt of each run), {@code run_attempts} (every attempt),
     * {@code epochs}, {@code lr_trials} and {@code zones}.
     */
    public List<String> registerViews() {
        List<String> names = new ArrayList<>();
        read(Tables.Table.RUNS).createOrReplaceTempView("run_attempts");
        latestRuns().createOrReplaceTempView("runs");
        names.add("runs");
        names.add("run_attempts");
        for (Tables.Table t : List.of(Tables.Table.EPOCHS, Tables.Table.LR_TRIALS, Tables.Table.ZONES)) {
            Dataset<Row> df = read(t);
            if (df != null) {
                df.createOrReplaceTempView(t.id());
                names.add(t.id());
            }
        }
        return names;
    }
}
