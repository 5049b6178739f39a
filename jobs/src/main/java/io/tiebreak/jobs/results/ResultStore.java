package io.tiebreak.jobs.results;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.fs.Redaction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SortOrder;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.Transaction;
import org.apache.iceberg.actions.DeleteOrphanFiles;
import org.apache.iceberg.actions.RewriteDataFiles;
import org.apache.iceberg.hadoop.HadoopTables;
import org.apache.iceberg.spark.SparkSchemaUtil;
import org.apache.iceberg.spark.actions.SparkActions;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The results folder: one Apache Iceberg table per result table ({@code <results>/runs}, {@code epochs},
 * {@code lr_trials}, {@code zones}), in the layout of Iceberg's Hadoop catalog with the results folder as warehouse,
 * so local disks, HDFS and {@code s3a://} work alike and any Iceberg reader (Spark, DuckDB, Trino, pyiceberg) opens
 * a table by its folder. Each append is one atomic snapshot commit, tagged with its wave id in the snapshot summary:
 * an append retried after an error finds its own commit and is not repeated. Readers see committed snapshots only.
 * New columns declared in {@link Tables} reach the tables by schema evolution on the next write. A results folder of
 * the older layout (Parquet waves with _SUCCESS markers, {@link LegacyWaves}) is read in place and imported by the
 * first command that writes. See docs/design.md ("Result storage").
 */
public final class ResultStore {
    private static final Logger LOG = LoggerFactory.getLogger(ResultStore.class);

    /** Snapshot summary key: the wave that wrote a snapshot. */
    static final String WAVE_PROPERTY = "tiebreak.wave";
    /** Table property: the old-layout wave folders whose rows the table holds (comma-separated names). */
    static final String IMPORTED_PROPERTY = "tiebreak.imported-waves";

    /** Settings a session that reads or writes results should start with. */
    public static java.util.Map<String, String> sessionDefaults() {
        java.util.Map<String, String> d = new java.util.LinkedHashMap<>();
        // Result tables are wide (every config column): keep Spark from warning that it shortened a plan string.
        d.put("spark.sql.debug.maxToStringFields", "500");
        return d;
    }

    private final SparkSession spark;
    private final Path root;
    private final Set<Tables.Table> prepared = EnumSet.noneOf(Tables.Table.class);

    public ResultStore(SparkSession spark, String root) {
        this.spark = spark;
        this.root = new Path(root);
        configureIceberg(spark);
    }

    /**
     * Spark's Iceberg source opens a table given by its folder through the catalog {@code default_iceberg}, a Hive
     * catalog unless configured: make it a Hadoop catalog, which needs no metastore (set before its first use; a
     * user's own setting wins). Reads are row by row: Iceberg's vectorized reader needs Arrow, which needs the JVM
     * started with --add-opens=java.base/java.nio=ALL-UNNAMED (spark-submit does that, plain java does not), and
     * result tables are small.
     */
    private static void configureIceberg(SparkSession spark) {
        if (spark.conf().getOption("spark.sql.iceberg.vectorization.enabled").isEmpty()) {
            spark.conf().set("spark.sql.iceberg.vectorization.enabled", "false");
        }
        String key = "spark.sql.catalog.default_iceberg";
        if (spark.conf().getOption(key).isDefined()) return;
        spark.conf().set(key + ".type", "hadoop");
        spark.conf().set(key + ".warehouse", System.getProperty("java.io.tmpdir"));
        spark.conf().set(key + ".cache-enabled", "false");
        spark.conf().set(key, "org.apache.iceberg.spark.SparkCatalog");
    }

    public Path root() { return root; }

    /**
     * For commands that only read results (sql, report): a folder that is not there, or holds none of the tables,
     * is a user error naming it, never an empty result.
     */
    public void requireResults() {
        String shown = Redaction.uri(root.toString());
        try {
            if (!HadoopFs.exists(root, hadoop())) {
                throw new UserError("no results folder at " + shown + " (pass the --results a sweep wrote)");
            }
            for (Tables.Table t : Tables.Table.values()) if (HadoopFs.exists(tableDir(t), hadoop())) return;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + shown, e);
        }
        throw new UserError(shown + " holds no result tables (" + java.util.Arrays.stream(Tables.Table.values())
                .map(t -> t.id() + "/").collect(java.util.stream.Collectors.joining(", ")) + "): is it the folder a sweep"
                + " wrote its results to?");
    }

    /** A table's folder (its Iceberg location). */
    public Path tableDir(Tables.Table table) {
        try {
            return HadoopFs.qualify(new Path(root, table.id()), hadoop());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve " + Redaction.uri(root.toString()), e);
        }
    }

    /** Where run checkpoints live, one folder per run_id. */
    public Path checkpointDir() { return new Path(root, "checkpoints"); }

    private Configuration hadoop() { return spark.sparkContext().hadoopConfiguration(); }

    private HadoopTables catalog() { return new HadoopTables(hadoop()); }

    /** The table's Iceberg table, or empty while nothing was ever written to it. */
    Optional<Table> iceberg(Tables.Table table) {
        String location = tableDir(table).toString();
        HadoopTables tables = catalog();
        return tables.exists(location) ? Optional.of(tables.load(location)) : Optional.empty();
    }

    /** Old-layout waves of a table not yet imported into its Iceberg table. */
    List<Path> legacyWaves(Tables.Table table, Optional<Table> iceberg) {
        try {
            List<Path> waves = new ArrayList<>(LegacyWaves.committed(tableDir(table), hadoop()));
            if (!waves.isEmpty() && iceberg.isPresent()) {
                Set<String> imported = imported(iceberg.get());
                waves.removeIf(w -> imported.contains(w.getName()));
            }
            return waves;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + Redaction.uri(tableDir(table).toString()), e);
        }
    }

    private static Set<String> imported(Table t) {
        String v = t.properties().getOrDefault(IMPORTED_PROPERTY, "");
        return v.isEmpty() ? Set.of() : new HashSet<>(List.of(v.split(",")));
    }

    /**
     * A table's committed rows, with every declared column (null where older rows lack it); empty, with the declared
     * schema, when nothing is committed yet.
     */
    public Dataset<Row> read(Tables.Table table) {
        Optional<Table> ice = iceberg(table);
        Dataset<Row> df = ice.map(t -> spark.read().format("iceberg").load(t.location())).orElse(null);
        List<Path> legacy = legacyWaves(table, ice);
        if (!legacy.isEmpty()) {
            LOG.info("{}: reading {} result waves of the older layout in place (the next sweep, lr-search, zones or"
                    + " compact imports them)", table.id(), legacy.size());
            Dataset<Row> old = LegacyWaves.read(spark, legacy);
            df = df == null ? old : df.unionByName(old, true);
        }
        if (df == null) return spark.createDataFrame(List.of(), table.schema());
        List<String> have = List.of(df.columns());
        for (StructField f : table.schema().fields()) {
            if (!have.contains(f.name())) df = df.withColumn(f.name(), functions.lit(null).cast(f.dataType()));
        }
        return df;
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

    /** Appends rows as one snapshot of their own (a wave id of their own). */
    public void append(Tables.Table table, List<Row> rows) {
        append(table, rows, UUID.randomUUID().toString());
    }

    /**
     * Appends rows as one atomic snapshot tagged with waveId. Calling it again with the same waveId (a retry after
     * an error that may have come after the commit) commits nothing twice.
     */
    public void append(Tables.Table table, List<Row> rows, String waveId) {
        if (rows.isEmpty()) return;
        Table t = prepareForWrite(table);
        t.refresh();
        if (hasWave(t, waveId)) return;
        try {
            DataFile file = IcebergRows.write(t, rows);
            t.newAppend().appendFile(file).set(WAVE_PROPERTY, waveId).commit();
        } catch (RuntimeException e) {
            // The commit may have landed before the error (Iceberg's CommitStateUnknownException, a lost reply).
            t.refresh();
            if (hasWave(t, waveId)) return;
            throw e;
        }
    }

    private static boolean hasWave(Table t, String waveId) {
        for (Snapshot s : t.snapshots()) if (waveId.equals(s.summary().get(WAVE_PROPERTY))) return true;
        return false;
    }

    /**
     * Creates now what Iceberg creates on its first commit and cannot create once the JVM is shutting down: the lock
     * manager's heartbeat executor and the worker pool, each of which registers a shutdown hook. A stopped sweep or
     * zones job commits its last wave in a shutdown hook; without this, a first commit made there fails and leaves
     * its lock held.
     */
    public static void prepareForCommitsAtShutdown() {
        org.apache.iceberg.LockManager locks = org.apache.iceberg.util.LockManagers.defaultLockManager();
        String id = "tiebreak-" + java.util.UUID.randomUUID();
        if (locks.acquire(id, id)) locks.release(id, id);
        org.apache.iceberg.util.ThreadPools.getWorkerPool();
    }

    /**
     * The table ready to take rows: created on first use, given the declared columns it lacks (schema evolution:
     * new columns are added, none are dropped or retyped), and holding the rows of any old-layout waves.
     */
    synchronized Table prepareForWrite(Tables.Table table) {
        String location = tableDir(table).toString();
        HadoopTables tables = catalog();
        Schema declared = SparkSchemaUtil.convert(table.schema());
        if (!tables.exists(location)) {
            tables.create(declared, PartitionSpec.unpartitioned(), SortOrder.unsorted(), TABLE_PROPERTIES, location);
            LOG.info("created the Iceberg table {}", Redaction.uri(location));
        }
        Table t = tables.load(location);
        if (prepared.contains(table)) return t;
        List<String> missing = new ArrayList<>();
        for (StructField f : table.schema().fields()) if (t.schema().findField(f.name()) == null) missing.add(f.name());
        if (!missing.isEmpty()) {
            t.updateSchema().unionByNameWith(declared).commit();
            LOG.info("{}: added the columns {}", table.id(), missing);
        }
        importLegacy(table, t);
        prepared.add(table);
        return t;
    }

    /** Table properties of new result tables. */
    private static final Map<String, String> TABLE_PROPERTIES = Map.of(
            TableProperties.FORMAT_VERSION, "2",
            // Every wave writes a metadata file: keep the last 100, not all of them.
            TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED, "true",
            TableProperties.METADATA_PREVIOUS_VERSIONS_MAX, "100");

    /**
     * Imports the committed old-layout waves of a table: their rows as one snapshot, and their names in the table's
     * properties, in one transaction (one metadata commit); then deletes the wave folders. A crash between the two
     * leaves folders that the property already names: they are never read again, and deleted next time.
     */
    private void importLegacy(Tables.Table table, Table t) {
        List<Path> all;
        try {
            all = LegacyWaves.committed(tableDir(table), hadoop());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + Redaction.uri(tableDir(table).toString()), e);
        }
        if (all.isEmpty()) return;
        Set<String> done = imported(t);
        List<Path> pending = all.stream().filter(w -> !done.contains(w.getName())).toList();
        if (!pending.isEmpty()) {
            List<Row> rows = LegacyWaves.read(spark, pending).collectAsList();
            TreeSet<String> names = new TreeSet<>(done);
            pending.forEach(w -> names.add(w.getName()));
            Transaction tx = t.newTransaction();
            if (!rows.isEmpty()) {
                tx.newAppend().appendFile(IcebergRows.write(t, rows)).set(WAVE_PROPERTY, "import-" + UUID.randomUUID())
                        .set("tiebreak.imported-rows", Integer.toString(rows.size())).commit();
            }
            tx.updateProperties().set(IMPORTED_PROPERTY, String.join(",", names)).commit();
            tx.commitTransaction();
            t.refresh();
            LOG.info("{}: imported {} rows of {} result waves of the older layout", table.id(), rows.size(), pending.size());
        }
        LegacyWaves.delete(all, hadoop());
    }

    /** No committed rows yet (spares a Spark job on a fresh results folder). */
    private boolean isEmpty(Tables.Table table) {
        Optional<Table> t = iceberg(table);
        return t.map(x -> x.currentSnapshot() == null).orElse(true) && legacyWaves(table, t).isEmpty();
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

    /** What compaction did to one table. */
    public record Compaction(String table, int filesRewritten, int filesAdded, int snapshotsExpired,
                             int orphanFilesDeleted) {}

    /** A table with more data files than this is compacted at the end of a writing job. */
    static final int AUTO_COMPACT_FILES = 64;
    /** Data files younger than this are never taken for orphans: a write may still be about to commit them. */
    static final long ORPHAN_MIN_AGE_MILLIS = java.util.concurrent.TimeUnit.DAYS.toMillis(1);

    /**
     * Maintenance of every table: imports old-layout waves, rewrites small data files into larger ones (Iceberg's
     * rewrite_data_files, bin-packing), expires snapshots older than maxAgeMillis beyond the newest retainLast (their
     * files go with them), and deletes files no snapshot references that are older than a day (writes that died).
     * Run it while no other job writes to these results: the tables have one committer at a time.
     */
    public List<Compaction> compact(long maxAgeMillis, int retainLast) {
        List<Compaction> out = new ArrayList<>();
        for (Tables.Table table : Tables.Table.values()) {
            Optional<Table> ice = iceberg(table);
            if (ice.isEmpty() && legacyWaves(table, ice).isEmpty()) continue;
            out.add(compact(table, maxAgeMillis, retainLast));
        }
        return out;
    }

    /** Snapshots kept by default: a week's, and at least the newest 20 (time travel, readers of an older one). */
    public static final long DEFAULT_SNAPSHOT_AGE_MILLIS = java.util.concurrent.TimeUnit.DAYS.toMillis(7);
    public static final int DEFAULT_RETAIN_SNAPSHOTS = 20;

    /**
     * Compacts the tables this store wrote to that have grown past {@link #AUTO_COMPACT_FILES} data files (what
     * writing jobs do when they end, as the one committer of these results).
     */
    public List<Compaction> maintain() {
        long maxAgeMillis = DEFAULT_SNAPSHOT_AGE_MILLIS;
        int retainLast = DEFAULT_RETAIN_SNAPSHOTS;
        List<Compaction> out = new ArrayList<>();
        for (Tables.Table table : List.copyOf(prepared)) {
            Table t = iceberg(table).orElseThrow();
            Snapshot s = t.currentSnapshot();
            long files = s == null ? 0 : Long.parseLong(s.summary().getOrDefault("total-data-files", "0"));
            if (files > AUTO_COMPACT_FILES) out.add(compact(table, maxAgeMillis, retainLast));
        }
        return out;
    }

    private Compaction compact(Tables.Table table, long maxAgeMillis, int retainLast) {
        Table t = prepareForWrite(table);
        long now = System.currentTimeMillis();
        RewriteDataFiles.Result r = t.currentSnapshot() == null ? null
                : SparkActions.get(spark).rewriteDataFiles(t).option("min-input-files", "2").execute();
        t.refresh();
        int before = count(t.snapshots());
        t.expireSnapshots().expireOlderThan(now - maxAgeMillis).retainLast(Math.max(1, retainLast)).commit();
        t.refresh();
        int expired = before - count(t.snapshots());
        DeleteOrphanFiles.Result orphans = SparkActions.get(spark).deleteOrphanFiles(t)
                .olderThan(now - ORPHAN_MIN_AGE_MILLIS).execute();
        int deleted = count(orphans.orphanFileLocations());
        Compaction c = new Compaction(table.id(), r == null ? 0 : r.rewrittenDataFilesCount(),
                r == null ? 0 : r.addedDataFilesCount(), expired, deleted);
        LOG.debug("{}", c);
        return c;
    }

    private static int count(Iterable<?> items) {
        int n = 0;
        for (Object ignored : items) n++;
        return n;
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
