package io.tiebreak.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.jobs.gridjob.DataCatalog;
import io.tiebreak.jobs.gridjob.HadoopCheckpoints;
import io.tiebreak.jobs.gridjob.RunTask;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Status;
import io.tiebreak.jobs.results.Tables;
import io.tiebreak.jobs.testing.LocalSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sweeps of LeNet-5 on the real Fashion-MNIST (small subsets, 1-2 epochs) in local[2]. */
class SweepJobTest {
    private final SparkSession spark = LocalSpark.session();

    private static long nulls(Dataset<Row> df, String column) {
        return df.filter(df.col(column).isNull()).count();
    }

    @Test
    void everyRunLandsOnceWithEveryConfigColumnAndARerunSkipsThem(@TempDir Path results) {
        String yaml = Sweeps.grid("precision: [fp32, fp16]", "pool: [0, 1000]", "pool_form: composite",
                "lr: 0.05", "epochs: 1");
        Sweeps.Ran first = Sweeps.sweep(yaml, results, 60_000);
        assertEquals(4, first.result().planned());
        assertEquals(Map.of(Status.COMPLETED, 4), first.result().ran());
        ResultStore store = first.store();
        Dataset<Row> runs = store.read(Tables.Table.RUNS), epochs = store.read(Tables.Table.EPOCHS);
        assertEquals(4, runs.count());
        assertEquals(4, epochs.count());
        for (RunSpec.Field f : RunSpec.FIELDS) {
            assertEquals(0, nulls(runs, f.name()), "runs." + f.name() + " has nulls");
            assertEquals(0, nulls(epochs, f.name()), "epochs." + f.name() + " has nulls");
        }
        for (Row r : runs.collectAsList()) {
            assertTrue(((String) r.getAs("device_used")).startsWith("cpu"));
            double acc = r.getAs("final_test_accuracy");
            assertTrue(acc >= 0 && acc <= 1, "test accuracy " + acc);
        }
        assertTrue(first.output().contains("test: 4 runs; 0 done before, 4 to run"), first.output());
        assertTrue(first.output().contains("test_acc_mean"), first.output());

        Sweeps.Ran again = Sweeps.sweep(yaml, results, 60_000);
        assertEquals(4, again.result().skipped());
        assertEquals(Map.of(), again.result().ran());
        assertEquals(0, again.result().waves());
        assertEquals(4, store.read(Tables.Table.RUNS).count());
        assertEquals(4, store.read(Tables.Table.EPOCHS).count());
    }

    /** A run whose checkpoints cannot be written (its checkpoint folder is a file): a failure of the run, not bad input. */
    @Test
    void aDivergedRunAndAFailedRunEndOnlyThemselvesAndTheFailedOneIsRetried(@TempDir Path results) throws Exception {
        String yaml = Sweeps.grid("lr: [0.05, 1e12, 0.02]", "epochs: 2");
        List<RunSpec> specs = io.tiebreak.jobs.grid.Planner.plan(
                io.tiebreak.jobs.grid.GridParser.parse("t", yaml, List.of(), io.tiebreak.jobs.grid.GridParser.Purpose.SWEEP),
                new DataCatalog(io.tiebreak.jobs.testing.FashionMnist.dataRoot().toString(),
                        spark.sparkContext().hadoopConfiguration()),
                io.tiebreak.jobs.grid.LrChoices.NONE, false).runs();
        RunSpec broken = specs.get(2);
        Path bad = results.resolve("checkpoints").resolve(broken.runId());
        Files.createDirectories(bad.getParent());
        Files.write(bad, new byte[] {1, 2, 3});

        Sweeps.Ran first = Sweeps.sweep(yaml, results, 60_000);
        assertEquals(Map.of(Status.COMPLETED, 1, Status.DIVERGED, 1, Status.FAILED, 1), first.result().ran());
        ResultStore store = first.store();
        Map<String, ResultStore.RunState> states = store.runStates();
        assertEquals(Status.DIVERGED, states.get(specs.get(1).runId()).status());
        Row diverged = store.latestRuns().filter("status = 'diverged'").first();
        assertEquals(1, (int) diverged.getAs("diverged_epoch"), "epochs are numbered from 1");
        assertTrue(((String) diverged.getAs("reason")).contains("loss became"), (String) diverged.getAs("reason"));
        // Scored as the study scored its collapsed runs: the NaN network predicts class 0 on every test image.
        assertEquals(classZeroShareOfTheTestSubset(256), (double) diverged.getAs("final_test_accuracy"), 0);
        assertTrue(diverged.isNullAt(diverged.fieldIndex("last_finite_test_accuracy")), "no epoch ended finite");
        Row completed = store.latestRuns().filter("status = 'completed'").first();
        assertEquals((double) completed.getAs("final_test_accuracy"), (double) completed.getAs("last_finite_test_accuracy"));
        Row failed = store.latestRuns().filter("status = 'failed'").first();
        assertTrue(((String) failed.getAs("reason")).contains("checkpoint"), (String) failed.getAs("reason"));
        // Epoch rows: 2 for the completed run, 1 for the diverged one, none for the failure.
        assertEquals(3, store.read(Tables.Table.EPOCHS).count());

        Files.delete(bad);
        Sweeps.Ran second = Sweeps.sweep(yaml, results, 60_000);
        assertEquals(2, second.result().skipped());
        assertEquals(Map.of(Status.COMPLETED, 1), second.result().ran());
        assertEquals(Status.COMPLETED, store.runStates().get(broken.runId()).status());
        assertEquals(2, store.runStates().get(broken.runId()).attempts());
        assertEquals(4, store.read(Tables.Table.RUNS).count());
        assertEquals(5, store.read(Tables.Table.EPOCHS).count());
    }

    private double classZeroShareOfTheTestSubset(int n) throws java.io.IOException {
        io.tiebreak.runtime.data.ImageData test = io.tiebreak.jobs.gridjob.RunExecutor.data(
                io.tiebreak.jobs.testing.FashionMnist.dataRoot().resolve("fashion-mnist").toString(), "test", n,
                spark.sparkContext().hadoopConfiguration());
        byte[] pixels = new byte[n * test.pixelsPerSample()];
        int[] labels = new int[n];
        try (var reader = test.epoch(null, false)) {
            assertEquals(n, reader.next(pixels, labels, n));
        }
        return java.util.Arrays.stream(labels).filter(l -> l == 0).count() / (double) n;
    }

    @Test
    void aCheckpointWrittenWhenEpochsWereNumberedFromZeroStillResumes(@TempDir Path dir) throws Exception {
        // The quickstart's fp32 B=0 run on 256 images, as tiebreak ran it before epochs were numbered from 1: its
        // epoch-00001.safetensors holds both epochs (the old name counted from 0), its rows are in the old layout. It
        // ran in host mode, the only one then.
        String yaml = "name: quickstart\ndataset: fashion-mnist\ntrain_subset: 256\ntest_subset: 128\nnetwork: lenet5\n"
                + "batch_norm: false\noptimizer: sgd\nschedule: cosine\nprecision: fp32\npool: 0\npool_form: composite\n"
                + "lr: 0.05\nbatch_size: 64\nepochs: 2\nrepeats: 1\ndevice: cpu\nreproducibility: host\n";
        String runId = "308ea75a13829057";
        Path results = dir.resolve("results");
        Path checkpoint = results.resolve("checkpoints").resolve(runId).resolve("epoch-00001.safetensors");
        Files.createDirectories(checkpoint.getParent());
        try (var in = SweepJobTest.class.getResourceAsStream("legacy-checkpoints/" + runId + "/epoch-00001.safetensors")) {
            Files.copy(in, checkpoint);
        }
        Sweeps.Ran resumed = Sweeps.sweep(yaml, results, 60_000);
        assertEquals(Map.of(Status.COMPLETED, 1), resumed.result().ran());
        assertEquals(runId, resumed.store().latestRuns().first().getAs("run_id"), "the same run as then");
        List<Row> now = resumed.store().read(Tables.Table.EPOCHS).orderBy("epoch")
                .select("epoch", "train_loss", "test_accuracy", "seconds").collectAsList();
        // Nothing was trained again: the epochs are the checkpoint's, with the numbers the old results hold (+1).
        ResultStore old = new ResultStore(spark, io.tiebreak.jobs.results.ResultStoreTest.legacyResults(dir).toString());
        List<Row> then = old.read(Tables.Table.EPOCHS).filter("run_id = '" + runId + "'").orderBy("epoch")
                .select("epoch", "train_loss", "test_accuracy", "seconds").collectAsList();
        assertEquals(2, then.size());
        assertEquals(then, now);
        assertEquals(List.of(1, 2), now.stream().map(r -> r.getInt(0)).toList());
    }

    @Test
    void anInterruptedRunResumesFromItsCheckpointWithTheSameNumbers(@TempDir Path results) throws Exception {
        String yaml = Sweeps.grid("lr: 0.05", "epochs: 2", "checkpoints: all");
        Sweeps.Ran whole = Sweeps.sweep(yaml, results, 60_000);
        List<Row> before = whole.store().read(Tables.Table.EPOCHS).orderBy("epoch")
                .select("epoch", "train_loss", "test_loss", "test_accuracy", "grad_norm").collectAsList();
        // As if the sweep had died during epoch 2: no results, only the checkpoint of epoch 1.
        for (String table : List.of("runs", "epochs")) deleteTree(results.resolve(table));
        try (Stream<Path> files = Files.walk(results.resolve("checkpoints"))) {
            for (Path p : files.filter(p -> p.getFileName().toString().equals(HadoopCheckpoints.fileName(2))).toList()) {
                Files.delete(p);
            }
        }
        Sweeps.Ran resumed = Sweeps.sweep(yaml, results, 60_000);
        assertEquals(Map.of(Status.COMPLETED, 1), resumed.result().ran());
        List<Row> after = resumed.store().read(Tables.Table.EPOCHS).orderBy("epoch")
                .select("epoch", "train_loss", "test_loss", "test_accuracy", "grad_norm").collectAsList();
        assertEquals(before, after);
    }

    @Test
    void finishedRunsAreQueryableWhileTheSweepGoesOn(@TempDir Path results) throws Exception {
        // Three one-epoch runs and one long run: the short ones must be readable before the long one ends. (A wave
        // waits for a free task slot, which the next queued run takes first: visibility lags by about one run.)
        String yaml = Sweeps.grid("lr: [0.01, 0.02, 0.03, 0.04]", "epochs: 1", "overrides:",
                "  - when: {lr: 0.04}", "    set: {epochs: 10, train_subset: 3000}");
        ResultStore store = new ResultStore(spark, results.toString());
        CompletableFuture<Sweeps.Ran> sweep = CompletableFuture.supplyAsync(() -> Sweeps.sweep(yaml, results, 200));
        java.util.Set<Long> seen = new java.util.TreeSet<>();
        while (!sweep.isDone()) {
            seen.add(store.read(Tables.Table.RUNS).count());
            Thread.sleep(200);
        }
        Sweeps.Ran ran = sweep.get();
        assertEquals(Map.of(Status.COMPLETED, 4), ran.result().ran());
        assertTrue(seen.stream().anyMatch(n -> n >= 1 && n < 4), "run counts seen while the sweep ran: " + seen);
        assertTrue(ran.result().waves() >= 2, "waves: " + ran.result().waves());
        assertEquals(4, store.read(Tables.Table.RUNS).count());
    }

    @Test
    void aSweepOnTwoDevicesPerRunLandsTheRowsOfOneDevice(@TempDir Path one, @TempDir Path two) {
        // docs/design.md, "Data parallelism": the same micro-batches give the same bits on any number of devices.
        String grid = Sweeps.grid("precision: [fp32, mixed]", "batch_norm: true", "micro_batch: 16", "lr: 0.05",
                "epochs: 1");
        Sweeps.Ran a = Sweeps.sweep(grid, one, 60_000);
        Sweeps.Ran b = Sweeps.sweep(grid.replace("micro_batch: 16", "micro_batch: 16\ndevices_per_run: 2"), two, 60_000);
        assertEquals(Map.of(Status.COMPLETED, 2), b.result().ran());
        List<String> howItRan = List.of("devices_per_run", "device_used", "seconds", "train_seconds", "started_at",
                "finished_at", "executor", "host");
        for (Tables.Table t : List.of(Tables.Table.RUNS, Tables.Table.EPOCHS)) {
            Dataset<Row> x = a.store().read(t), y = b.store().read(t);
            String[] same = java.util.Arrays.stream(x.columns()).filter(c -> !howItRan.contains(c)).toArray(String[]::new);
            assertEquals(2, x.count());
            assertEquals(x.selectExpr(same).orderBy("run_id").collectAsList(), y.selectExpr(same).orderBy("run_id").collectAsList(),
                    t.id() + " rows");
            assertEquals(List.of(1), x.select("devices_per_run").distinct().as(org.apache.spark.sql.Encoders.INT()).collectAsList());
            assertEquals(List.of(2), y.select("devices_per_run").distinct().as(org.apache.spark.sql.Encoders.INT()).collectAsList());
            assertEquals(List.of(16), y.select("micro_batch").distinct().as(org.apache.spark.sql.Encoders.INT()).collectAsList());
        }
        for (Row r : b.store().read(Tables.Table.RUNS).collectAsList()) {
            assertTrue(((String) r.getAs("device_used")).contains("as 2 devices"), (String) r.getAs("device_used"));
        }
    }

    static void deleteTree(Path p) throws Exception {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

    /** What an interrupted sweep says of its cancelled runs comes from the checkpoints they left. */
    @Test
    void anInterruptedSweepSaysWhereEachCancelledRunResumes(@TempDir Path dir) throws Exception {
        List<RunSpec> specs = io.tiebreak.jobs.testing.Specs.lenet(3);
        List<RunTask> tasks = specs.stream().map(s -> new RunTask("g", s, 1, "data", dir.resolve(s.runId()).toString(),
                false)).toList();
        Files.createDirectories(dir.resolve(specs.get(1).runId()));
        Files.write(dir.resolve(specs.get(1).runId()).resolve(HadoopCheckpoints.fileName(1)), new byte[] {1});
        String said = SweepJob.cancelled(new org.apache.hadoop.fs.Path(dir.toString()),
                spark.sparkContext().hadoopConfiguration(), tasks, List.of(0, 1), 2);
        List<String> lines = said.lines().toList();
        assertEquals("sweep interrupted: 2 finished runs committed; 2 running runs cancelled, to resume on the next"
                + " sweep of this grid", lines.get(0));
        assertTrue(lines.get(1).startsWith("  cancelled run " + specs.get(0).runId()) && lines.get(1).endsWith(
                ": no checkpoint yet, it starts over"), lines.get(1));
        assertTrue(lines.get(2).startsWith("  cancelled run " + specs.get(1).runId()) && lines.get(2).endsWith(
                ": resumes at epoch 2 of 2 from its checkpoint"), lines.get(2));
    }
}
