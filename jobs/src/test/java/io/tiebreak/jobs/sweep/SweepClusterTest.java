package io.tiebreak.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Tables;
import io.tiebreak.jobs.testing.FashionMnist;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.jobs.testing.StandaloneCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sweeps on a real standalone cluster (Master and two Workers as JVMs on loopback), with a Worker killed. */
@Tag("slow")
class SweepClusterTest {

    @Test
    void everyRunLandsExactlyOnceWhenAWorkerIsKilledMidSweep(@TempDir Path dir) throws Exception {
        Path data = FashionMnist.dataRoot();
        Path grid = dir.resolve("grid.yaml");
        Files.writeString(grid, Sweeps.grid("lr: 0.05", "epochs: 2", "repeats: 8")
                .replace("train_subset: 512", "train_subset: 2048"));
        Path results = dir.resolve("results");
        try (StandaloneCluster cluster = StandaloneCluster.start(2, 1, "1536m", Map.of())) {
            Process driver = cluster.driver("io.tiebreak.jobs.cli.Tiebreak",
                    List.of("sweep", grid.toString(), "--data", data.toString(), "--results", results.toString(),
                            "--progress", "log", "--wave-seconds", "1"),
                    Map.of("spark.executor.memory", "1g", "spark.cores.max", "2"));
            StandaloneCluster.Output out = new StandaloneCluster.Output(driver.getInputStream(), "[driver] ");
            StandaloneCluster.Output err = new StandaloneCluster.Output(driver.getErrorStream(), "[driver:err] ");
            assertTrue(out.await("completed after", Duration.ofMinutes(4)), "no run finished");
            cluster.killWorker(1);
            assertTrue(driver.waitFor(6, TimeUnit.MINUTES), "the sweep did not end");
            out.join();
            err.join();
            assertEquals(0, driver.exitValue(), String.join("\n", err.lines()));
            assertTrue(out.lines().stream().anyMatch(l -> l.startsWith("task lost (ExecutorLostFailure)")),
                    "the killed worker took no running task with it");
        }
        ResultStore store = new ResultStore(LocalSpark.session(), results.toString());
        Dataset<Row> runs = store.read(Tables.Table.RUNS), epochs = store.read(Tables.Table.EPOCHS);
        assertEquals(8, runs.count());
        assertEquals(8, runs.select("run_id").distinct().count());
        assertEquals(8, runs.filter("status = 'completed' AND attempt = 1 AND epochs_done = 2").count());
        assertEquals(16, epochs.count());
        assertEquals(16, epochs.select("run_id", "epoch").distinct().count());
        assertEquals(0, epochs.join(runs.select("run_id"), List.of("run_id").iterator().next(), "left_anti").count());
    }

    @Test
    void everyRunLandsExactlyOnceWhenTheDriverIsKilledMidSweep(@TempDir Path dir) throws Exception {
        Path data = FashionMnist.dataRoot();
        Path grid = dir.resolve("grid.yaml");
        Files.writeString(grid, Sweeps.grid("lr: 0.05", "epochs: 2", "repeats: 8")
                .replace("train_subset: 512", "train_subset: 2048"));
        Path results = dir.resolve("results");
        List<String> args = List.of("sweep", grid.toString(), "--data", data.toString(), "--results", results.toString(),
                "--progress", "log", "--wave-seconds", "1");
        Map<String, String> conf = Map.of("spark.executor.memory", "1g", "spark.cores.max", "2");
        try (StandaloneCluster cluster = StandaloneCluster.start(2, 1, "1536m", Map.of())) {
            // The first driver dies (SIGKILL, no shutdown hook) right after its first commit to the runs table
            // (metadata v2: v1 is the table's creation), with runs finished but not yet committed and others training.
            Process first = cluster.driver("io.tiebreak.jobs.cli.Tiebreak", args, conf);
            StandaloneCluster.Output out = new StandaloneCluster.Output(first.getInputStream(), "[driver 1] ");
            StandaloneCluster.Output err = new StandaloneCluster.Output(first.getErrorStream(), "[driver 1:err] ");
            Path committed = results.resolve("runs").resolve("metadata").resolve("v2.metadata.json");
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (!Files.exists(committed) && first.isAlive() && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(Files.exists(committed), "the first driver committed no runs");
            first.destroyForcibly().waitFor();
            ResultStore before = new ResultStore(LocalSpark.session(), results.toString());
            long committedBefore = before.read(Tables.Table.RUNS).count();
            assertTrue(committedBefore >= 1, "the killed driver's committed runs are readable");
            System.out.println("driver killed after committing " + committedBefore + " of 8 runs");
            out.join();
            err.join();
            // The second finishes the sweep: committed runs are skipped, the others resume from their checkpoints.
            Process second = cluster.driver("io.tiebreak.jobs.cli.Tiebreak", args, conf);
            StandaloneCluster.Output out2 = new StandaloneCluster.Output(second.getInputStream(), "[driver 2] ");
            StandaloneCluster.Output err2 = new StandaloneCluster.Output(second.getErrorStream(), "[driver 2:err] ");
            assertTrue(second.waitFor(6, TimeUnit.MINUTES), "the second sweep did not end");
            out2.join();
            err2.join();
            assertEquals(0, second.exitValue(), String.join("\n", err2.lines()));
        }
        ResultStore store = new ResultStore(LocalSpark.session(), results.toString());
        Dataset<Row> runs = store.read(Tables.Table.RUNS), epochs = store.read(Tables.Table.EPOCHS);
        assertEquals(8, runs.count(), "one runs row per run: none lost, none twice");
        assertEquals(8, runs.filter("status = 'completed' AND attempt = 1 AND epochs_done = 2").count());
        assertEquals(16, epochs.count(), "two epoch rows per run: none lost, none twice");
        assertEquals(16, epochs.select("run_id", "epoch").distinct().count());
    }
}
