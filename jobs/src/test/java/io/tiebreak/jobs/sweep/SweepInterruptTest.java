package io.tiebreak.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Status;
import io.tiebreak.jobs.results.Tables;
import io.tiebreak.jobs.testing.FashionMnist;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.jobs.testing.StandaloneCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep driver stopped mid-sweep on a real standalone cluster: first with SIGTERM (it commits what finished, says
 * which runs it cancelled and where each resumes, and exits 143), then with SIGKILL (nothing runs at all). The sweep
 * run to its end afterwards has every run exactly once, each epoch exactly once, every run at attempt 1.
 */
@Tag("slow")
class SweepInterruptTest {
    private static final Pattern CANCELLING = Pattern.compile("sweep interrupted: cancelling (\\d+) running runs? \\(the"
            + " next sweep of this grid resumes (it|them) from (its|their) last checkpoint\\); committing the runs that finished");
    private static final Pattern INTERRUPTED = Pattern.compile(
            "sweep interrupted: (\\d+) finished runs? committed; (\\d+) running runs? cancelled, to resume on the next sweep of this grid");

    private static Process driver(StandaloneCluster cluster, Path grid, Path results) throws Exception {
        return cluster.driver("io.tiebreak.jobs.cli.Tiebreak", List.of("sweep", grid.toString(), "--data",
                        FashionMnist.dataRoot().toString(), "--results", results.toString(), "--progress", "log"),
                Map.of("spark.executor.memory", "1g", "spark.cores.max", "2"));
    }

    private static long finished(StandaloneCluster.Output out) {
        return out.lines().stream().filter(l -> l.contains(" completed after ")).count();
    }

    @Test
    void aStoppedDriverSaysWhereCancelledRunsResumeAndLosesOrDuplicatesNothing(@TempDir Path dir) throws Exception {
        // Eight runs on two task slots: four rounds, so that runs are training whenever the driver is stopped.
        String yaml = Sweeps.grid("lr: 0.05", "epochs: 2", "repeats: 8").replace("train_subset: 512", "train_subset: 1024");
        Path grid = dir.resolve("grid.yaml"), results = dir.resolve("results");
        Files.writeString(grid, yaml);
        ResultStore store = new ResultStore(LocalSpark.session(), results.toString());
        try (StandaloneCluster cluster = StandaloneCluster.start(2, 1, "1536m", Map.of())) {
            // SIGTERM once a run has finished.
            Process term = driver(cluster, grid, results);
            StandaloneCluster.Output out = new StandaloneCluster.Output(term.getInputStream(), "[term] ");
            StandaloneCluster.Output err = new StandaloneCluster.Output(term.getErrorStream(), "[term:err] ");
            long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
            while (finished(out) == 0 && System.nanoTime() < until) Thread.sleep(200);
            assertTrue(finished(out) > 0, "no run finished");
            term.toHandle().destroy(); // SIGTERM (Process.destroy would also close the pipes we read its output from)
            assertTrue(term.waitFor(3, TimeUnit.MINUTES), "the driver did not stop on SIGTERM");
            out.join();
            err.join();
            assertEquals(143, term.exitValue(), String.join("\n", err.lines()));
            // Said at once, before the commit: how many runs were cancelled, and that nothing retries them now.
            Matcher now = out.lines().stream().map(CANCELLING::matcher).filter(Matcher::matches).findFirst()
                    .orElseThrow(() -> new AssertionError("nothing said of the running runs: " + out.lines()));
            int cancelled = Integer.parseInt(now.group(1));
            assertTrue(cancelled >= 1, now.group());
            assertFalse(out.lines().stream().anyMatch(l -> l.contains("Spark runs it again")), "a cancelled run is not retried");
            // Said once the finished runs are committed (within the shutdown hook's 2 minutes; on a machine too loaded
            // for that, the next sweep rebuilds them from their checkpoints, which the end of this test checks).
            Matcher m = out.lines().stream().map(INTERRUPTED::matcher).filter(Matcher::find).findFirst().orElse(null);
            if (m != null) {
                int committed = Integer.parseInt(m.group(1));
                assertEquals(cancelled, Integer.parseInt(m.group(2)), m.group());
                List<String> each = out.lines().stream().filter(l -> l.startsWith("  cancelled run ")).toList();
                assertEquals(cancelled, each.size(), out.lines().toString());
                for (String l : each) {
                    // (A task is killed at the end of an epoch, after its checkpoint: the last epoch may be in.)
                    assertTrue(l.endsWith(": resumes at epoch 2 of 2 from its checkpoint")
                            || l.endsWith(": all 2 epochs checkpointed: only its results are written from its checkpoint")
                            || l.endsWith(": no checkpoint yet, it starts over"), l);
                }
                assertEquals(committed, store.read(Tables.Table.RUNS).count(), "the finished runs committed, only those");
            }

            // SIGKILL once this driver has finished a run of its own: no hook runs.
            Process kill = driver(cluster, grid, results);
            StandaloneCluster.Output out2 = new StandaloneCluster.Output(kill.getInputStream(), "[kill] ");
            new StandaloneCluster.Output(kill.getErrorStream(), "[kill:err] ");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
            while (finished(out2) == 0 && System.nanoTime() < deadline) Thread.sleep(200);
            assertTrue(finished(out2) > 0, "the second driver finished no run");
            kill.toHandle().destroyForcibly(); // SIGKILL
            assertTrue(kill.waitFor(1, TimeUnit.MINUTES));
            assertEquals(137, kill.exitValue());
        }

        Sweeps.Ran rest = Sweeps.sweep(yaml, results, 60_000);
        assertTrue(rest.result().ran().getOrDefault(Status.FAILED, 0) == 0, rest.output());
        Dataset<Row> runs = store.read(Tables.Table.RUNS), epochs = store.read(Tables.Table.EPOCHS);
        assertEquals(8, runs.count());
        assertEquals(8, runs.filter("status = 'completed' AND attempt = 1 AND epochs_done = 2").count());
        assertEquals(8, runs.select("run_id").distinct().count());
        assertEquals(16, epochs.count());
        assertEquals(16, epochs.select("run_id", "epoch").distinct().count());
    }
}
