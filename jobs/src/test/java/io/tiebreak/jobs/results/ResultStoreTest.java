package io.tiebreak.jobs.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.jobs.testing.Specs;
import io.tiebreak.runtime.train.StateDigest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Table;
import org.apache.iceberg.hadoop.HadoopTables;
import org.apache.iceberg.spark.SparkSchemaUtil;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class ResultStoreTest {
    private final SparkSession spark = LocalSpark.session();

    public static RunOutcome outcome(RunSpec spec, int attempt, Status status, int epochs) {
        List<EpochRow> rows = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            rows.add(new EpochRow(e + 1, 1.0 / (e + 1), 0.5 + e * 0.01, 1.1 / (e + 1), 0.4 + e * 0.01, 0.01, 2.0, 0, 3.0, 1.0));
        }
        return new RunOutcome("test", spec, attempt, status, status == Status.FAILED ? "boom" : "",
                status == Status.DIVERGED ? epochs : -1, rows, 5.0, "cpu", "0", "localhost", 1000L, 6000L,
                new RunOutcome.Versions("0.1.0", "4.1.1", "17", "cpu", "test cpu"),
                status == Status.FAILED ? null : new StateDigest("00".repeat(32), "11".repeat(32)));
    }

    @Test
    void everyConfigColumnIsInEveryRowOfEveryTable() {
        for (Tables.Table t : List.of(Tables.Table.RUNS, Tables.Table.EPOCHS, Tables.Table.LR_TRIALS)) {
            Set<String> names = Set.of(t.schema().fieldNames());
            for (RunSpec.Field f : RunSpec.FIELDS) assertTrue(names.contains(f.name()), t + " lacks " + f.name());
            assertTrue(names.contains("run_id"), t + " lacks run_id");
        }
        RunSpec spec = Specs.lenet(1).get(0);
        Row row = Tables.RUNS.row(outcome(spec, 1, Status.COMPLETED, 2));
        assertEquals(spec.runId(), row.getAs("run_id"));
        assertEquals("fashion-mnist", row.getAs("dataset"));
        assertEquals(0.01, (Double) row.getAs("lr"));
        assertEquals(0.41, (Double) row.getAs("final_test_accuracy"), 1e-12);
        assertTrue(row.isNullAt(row.fieldIndex("diverged_epoch")));
    }

    @Test
    void listingOldLayoutWavesWhileOneIsBeingWrittenNeverTripsOverItsTemporaryFiles(@TempDir Path dir) throws Exception {
        Path results = legacyResults(dir);
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        org.apache.hadoop.fs.Path runsDir = new org.apache.hadoop.fs.Path(results.resolve("runs").toUri());
        // A wave in progress: task files appear under _temporary and vanish again, as the commit protocol does.
        Path temporary = Files.createDirectories(results.resolve("runs").resolve(LegacyWaves.WAVE_PREFIX + "9-pending")
                .resolve("_temporary").resolve("0"));
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = new Thread(() -> {
            for (int i = 0; !stop.get(); i++) {
                try {
                    Path f = temporary.resolve("part-" + (i % 50) + ".parquet");
                    Files.write(f, new byte[16]);
                    Files.deleteIfExists(temporary.resolve("part-" + ((i + 25) % 50) + ".parquet"));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        writer.start();
        try {
            for (int i = 0; i < 30; i++) assertEquals(2, LegacyWaves.committed(runsDir, conf).size());
        } finally {
            stop.set(true);
            writer.join();
        }
    }

    @Test
    void eachAppendIsOneSnapshotAndARetriedWaveIsNotCommittedTwice(@TempDir Path dir) {
        ResultStore store = new ResultStore(spark, dir.toString());
        assertEquals(0, store.read(Tables.Table.RUNS).count());
        List<RunSpec> specs = Specs.lenet(3);
        store.append(Tables.Table.RUNS, List.of(Tables.RUNS.row(outcome(specs.get(0), 1, Status.COMPLETED, 2))), "w1");
        List<Row> two = List.of(Tables.RUNS.row(outcome(specs.get(1), 1, Status.FAILED, 0)),
                Tables.RUNS.row(outcome(specs.get(2), 1, Status.DIVERGED, 1)));
        store.append(Tables.Table.RUNS, two, "w2");
        store.append(Tables.Table.RUNS, two, "w2"); // the retry of a write whose reply was lost
        Table t = store.iceberg(Tables.Table.RUNS).orElseThrow();
        assertEquals(List.of("w1", "w2"), snapshotWaves(t));
        assertEquals(3, store.read(Tables.Table.RUNS).count());

        // A data file written by a driver that died before its commit: no snapshot names it, no reader sees it.
        IcebergRows.write(t, two);
        assertEquals(3, store.read(Tables.Table.RUNS).count());
        // Plain Iceberg readers (here Spark's own Iceberg source on the folder) see the same committed rows.
        assertEquals(3, spark.read().format("iceberg").load(dir.resolve("runs").toString()).count());
    }

    @Test
    void aResultsFolderOfTheOlderLayoutIsReadInPlaceThenImportedByTheFirstWrite(@TempDir Path dir) throws IOException {
        Path results = legacyResults(dir);
        ResultStore store = new ResultStore(spark, results.toString());
        // Written by tiebreak before Iceberg: 6 runs of 2 epochs, 4 lr-search trials and 2 bests, 6 zones rows; the
        // runs folder also holds a wave without _SUCCESS (a write that died), which is never read.
        assertEquals(6, store.read(Tables.Table.RUNS).count());
        assertEquals(12, store.read(Tables.Table.EPOCHS).count());
        assertEquals(6, store.read(Tables.Table.LR_TRIALS).count());
        assertEquals(6, store.read(Tables.Table.ZONES).count());
        // Epochs are numbered from 1 (the old layout's 0 and 1 read as 1 and 2).
        assertEquals(List.of(1, 2), store.read(Tables.Table.EPOCHS).select("epoch").distinct().orderBy("epoch")
                .collectAsList().stream().map(r -> r.getInt(0)).toList());
        assertEquals(6, store.runStates().size());
        assertEquals(6, store.runIdsWithEpochs().size());

        RunSpec fresh = Specs.lenet(1).get(0);
        try (WaveCommitter c = new WaveCommitter(store, store.runIdsWithEpochs(), 60_000, 100, n -> { })) {
            c.offer(outcome(fresh, 1, Status.COMPLETED, 2));
        }
        assertEquals(7, store.read(Tables.Table.RUNS).count());
        assertEquals(14, store.read(Tables.Table.EPOCHS).count());
        try (var waves = Files.list(results.resolve("runs"))) {
            List<String> left = waves.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("wave-")).toList();
            assertEquals(List.of("wave-1796161099999-deadbeef"), left, "imported waves are deleted, the dead one stays");
        }
        // Imported once: a new store (another command) sees the same rows, now all from the Iceberg table.
        ResultStore again = new ResultStore(spark, results.toString());
        assertEquals(7, again.read(Tables.Table.RUNS).count());
        assertTrue(again.legacyWaves(Tables.Table.RUNS, again.iceberg(Tables.Table.RUNS)).isEmpty());
        assertEquals(6, again.read(Tables.Table.LR_TRIALS).count(), "tables not written to are still read in place");
        // compact imports what is left (here lr_trials and zones) as any writing command does
        assertEquals(List.of("runs", "epochs", "lr_trials", "zones"),
                again.compact(0, 1).stream().map(ResultStore.Compaction::table).toList());
        assertEquals(6, again.read(Tables.Table.ZONES).count());
        assertTrue(again.legacyWaves(Tables.Table.ZONES, again.iceberg(Tables.Table.ZONES)).isEmpty());
    }

    @Test
    void aColumnDeclaredLaterIsAddedBySchemaEvolutionAndIsNullInOlderRows(@TempDir Path dir) {
        String location = dir.resolve("runs").toString();
        // The runs table as an older tiebreak created it: without the (later declared) tiebreak_version column.
        StructType older = new StructType(java.util.Arrays.stream(Tables.RUNS.schema().fields())
                .filter(f -> !f.name().equals("tiebreak_version")).toArray(StructField[]::new));
        Table t = new HadoopTables(spark.sparkContext().hadoopConfiguration()).create(SparkSchemaUtil.convert(older),
                PartitionSpec.unpartitioned(), location);
        List<RunSpec> specs = Specs.lenet(2);
        Row oldRow = new GenericRowWithSchema(java.util.Arrays.stream(older.fieldNames())
                .map(n -> Tables.RUNS.row(outcome(specs.get(0), 1, Status.COMPLETED, 1)).getAs(n)).toArray(), older);
        t.newAppend().appendFile(IcebergRows.write(t, List.of(oldRow))).commit();

        ResultStore store = new ResultStore(spark, dir.toString());
        assertEquals(1, store.read(Tables.Table.RUNS).filter("tiebreak_version IS NULL").count(),
                "readers get every declared column before the table has it");
        store.append(Tables.Table.RUNS, List.of(Tables.RUNS.row(outcome(specs.get(1), 1, Status.COMPLETED, 1))));
        assertTrue(store.iceberg(Tables.Table.RUNS).orElseThrow().schema().findField("tiebreak_version") != null);
        assertEquals(List.of("0.1.0"), store.read(Tables.Table.RUNS).filter("tiebreak_version IS NOT NULL")
                .select("tiebreak_version").collectAsList().stream().map(r -> r.getString(0)).toList());
        assertEquals(2, store.read(Tables.Table.RUNS).count());
    }

    @Test
    void compactionRewritesSmallFilesIntoOneAndExpiresOldSnapshots(@TempDir Path dir) {
        ResultStore store = new ResultStore(spark, dir.toString());
        List<RunSpec> specs = Specs.lenet(5);
        for (RunSpec s : specs) store.append(Tables.Table.RUNS, List.of(Tables.RUNS.row(outcome(s, 1, Status.COMPLETED, 1))));
        Table t = store.iceberg(Tables.Table.RUNS).orElseThrow();
        assertEquals("5", t.currentSnapshot().summary().get("total-data-files"));
        List<ResultStore.Compaction> done = store.compact(0, 1);
        assertEquals(List.of(new ResultStore.Compaction("runs", 5, 1, 5, 0)), done);
        t.refresh();
        assertEquals("1", t.currentSnapshot().summary().get("total-data-files"));
        int snapshots = 0;
        for (var ignored : t.snapshots()) snapshots++;
        assertEquals(1, snapshots, "only the compaction's snapshot is left");
        assertEquals(5, store.read(Tables.Table.RUNS).count());
        assertEquals(5, store.read(Tables.Table.RUNS).select("run_id").distinct().count());
    }

    /** A copy of a results folder that tiebreak wrote before Iceberg (a sweep, an lr-search and a zones job). */
    public static Path legacyResults(Path dir) throws IOException {
        Path out = dir.resolve("legacy-results");
        Path from;
        try {
            from = Path.of(ResultStoreTest.class.getResource("legacy-results").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        try (var files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path to = out.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(to);
                else Files.copy(f, to);
            }
        }
        return out;
    }

    private static List<String> snapshotWaves(Table t) {
        List<String> out = new ArrayList<>();
        for (org.apache.iceberg.Snapshot s : t.snapshots()) {
            String w = s.summary().get(ResultStore.WAVE_PROPERTY);
            if (w != null) out.add(w);
        }
        return out;
    }

    @Test
    void theRunsViewShowsTheLatestAttemptAndTheCommitterWritesEachEpochOnce(@TempDir Path dir) {
        ResultStore store = new ResultStore(spark, dir.toString());
        List<RunSpec> specs = Specs.lenet(2);
        try (WaveCommitter c = new WaveCommitter(store, Set.of(), 60_000, 100, n -> { })) {
            c.offer(outcome(specs.get(0), 1, Status.COMPLETED, 3));
            c.offer(outcome(specs.get(1), 1, Status.FAILED, 1));
        }
        assertEquals(3, store.read(Tables.Table.EPOCHS).count());
        Map<String, ResultStore.RunState> states = store.runStates();
        assertEquals(new ResultStore.RunState(Status.FAILED, 1), states.get(specs.get(1).runId()));

        // Attempt 2 of the failed run completes; a re-delivered result of the first run (a driver that died
        // between the epochs and the runs write) does not write its epochs again.
        try (WaveCommitter c = new WaveCommitter(store, store.runIdsWithEpochs(), 60_000, 100, n -> { })) {
            c.offer(outcome(specs.get(1), 2, Status.COMPLETED, 3));
            c.offer(outcome(specs.get(0), 1, Status.COMPLETED, 3));
        }
        assertEquals(6, store.read(Tables.Table.EPOCHS).count());
        store.registerViews();
        assertEquals(0, spark.sql("SELECT run_id, epoch FROM epochs GROUP BY run_id, epoch HAVING count(*) > 1").count());
        assertEquals(2, spark.sql("SELECT * FROM runs").count());
        assertEquals(List.of("completed", "completed"),
                spark.sql("SELECT status FROM runs ORDER BY status").collectAsList().stream().map(r -> r.getString(0)).toList());
        assertEquals(4, spark.sql("SELECT * FROM run_attempts").count());
        Set<String> with = new HashSet<>(store.runIdsWithEpochs());
        assertEquals(Set.of(specs.get(0).runId(), specs.get(1).runId()), with);
    }

    @Test
    void pendingOutcomesAreCommittedAfterTheIntervalWithoutClosing(@TempDir Path dir) throws Exception {
        ResultStore store = new ResultStore(spark, dir.toString());
        List<Integer> committed = java.util.Collections.synchronizedList(new ArrayList<>());
        try (WaveCommitter c = new WaveCommitter(store, Set.of(), 200, 100, committed::add)) {
            c.offer(outcome(Specs.lenet(1).get(0), 1, Status.COMPLETED, 1));
            long deadline = System.currentTimeMillis() + 60_000;
            while (committed.isEmpty() && System.currentTimeMillis() < deadline) Thread.sleep(50);
            assertEquals(List.of(1), committed);
            assertEquals(1, store.read(Tables.Table.RUNS).count());
        }
    }
}
