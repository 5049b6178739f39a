package io.tiebreak.jobs.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class ResultStoreTest {
    private final SparkSession spark = LocalSpark.session();

    public static RunOutcome outcome(RunSpec spec, int attempt, Status status, int epochs) {
        List<EpochRow> rows = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            rows.add(new EpochRow(e, 1.0 / (e + 1), 0.5 + e * 0.01, 1.1 / (e + 1), 0.4 + e * 0.01, 0.01, 2.0, 0, 3.0, 1.0));
        }
        return new RunOutcome("test", spec, attempt, status, status == Status.FAILED ? "boom" : "",
                status == Status.DIVERGED ? epochs - 1 : -1, rows, 5.0, "cpu", "0", "localhost", 1000L, 6000L,
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
    void listingWhileAWaveIsBeingWrittenNeverTripsOverItsTemporaryFiles(@TempDir Path dir) throws Exception {
        ResultStore store = new ResultStore(spark, dir.toString());
        store.append(Tables.Table.RUNS, List.of(Tables.RUNS.row(outcome(Specs.lenet(1).get(0), 1, Status.COMPLETED, 1))));
        // A wave in progress: task files appear under _temporary and vanish again, as the commit protocol does.
        Path temporary = Files.createDirectories(dir.resolve("runs").resolve(ResultStore.WAVE_PREFIX + "9-pending")
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
            for (int i = 0; i < 30; i++) assertEquals(1, store.committedWaves(Tables.Table.RUNS).size());
        } finally {
            stop.set(true);
            writer.join();
        }
    }

    @Test
    void wavesAreVisibleWholeAndOnlyOnceCommitted(@TempDir Path dir) throws IOException {
        ResultStore store = new ResultStore(spark, dir.toString());
        assertEquals(0, store.read(Tables.Table.RUNS).count());
        List<RunSpec> specs = Specs.lenet(3);
        store.append(Tables.Table.RUNS, List.of(Tables.RUNS.row(outcome(specs.get(0), 1, Status.COMPLETED, 2))));
        store.append(Tables.Table.RUNS, List.of(Tables.RUNS.row(outcome(specs.get(1), 1, Status.FAILED, 0)),
                Tables.RUNS.row(outcome(specs.get(2), 1, Status.DIVERGED, 1))));
        assertEquals(2, store.committedWaves(Tables.Table.RUNS).size());
        assertEquals(3, store.read(Tables.Table.RUNS).count());

        // A write that died before its job commit: files, but no marker. Readers must not see it.
        Path dead = dir.resolve("runs/wave-0000000000001-deadbeef");
        Files.createDirectories(dead);
        Path someWave = Path.of(store.committedWaves(Tables.Table.RUNS).get(0).toUri().getPath());
        try (var files = Files.list(someWave)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".parquet")).toList()) {
                Files.copy(f, dead.resolve(f.getFileName()));
            }
        }
        assertEquals(3, store.read(Tables.Table.RUNS).count());
        assertEquals(1, store.removeAbandonedWaves(0));
        assertFalse(Files.exists(dead));
        assertEquals(3, store.read(Tables.Table.RUNS).count());
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
