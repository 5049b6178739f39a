package io.tiebreak.jobs.progress;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.testing.LocalSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;

/** Epoch counters of running tasks reach the driver's progress through executor heartbeats (every 1 s in tests). */
class ProgressListenerTest {
    @Test
    void theDriverSeesEpochsOfTasksThatAreStillRunning() throws Exception {
        SparkContext sc = LocalSpark.session().sparkContext();
        LongAccumulator epochs = sc.longAccumulator("test.epochs");
        SweepProgress progress = new SweepProgress("t", List.of("a", "b"), List.of(3, 3), 0, SweepProgress.Mode.NONE,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), System::currentTimeMillis,
                30_000);
        StepProgress steps = new StepProgress();
        sc.register(steps, "test.steps");
        ProgressListener listener = new ProgressListener("progress-test", epochs.id(), steps.id(), progress);
        sc.addSparkListener(listener);
        try {
            CompletableFuture<Void> job = CompletableFuture.runAsync(() -> {
                sc.setJobGroup("progress-test", "progress test", true);
                new JavaSparkContext(sc).parallelize(List.of(0, 1), 2).foreach(i -> {
                    for (int e = 0; e < 3; e++) {
                        for (int k = 1; k <= 5; k++) {
                            Thread.sleep(500);
                            steps.add(new StepProgress.Step(e + 1, k, 5, 0.25, 100));
                        }
                        epochs.add(1);
                    }
                });
            });
            boolean seen = false, stepSeen = false;
            while (!job.isDone() && !(seen && stepSeen)) {
                String line = progress.statusLine();
                seen |= line.contains("epochs 1/3") || line.contains("epochs 2/3");
                stepSeen |= line.matches(".*step [1-5]/5, loss 0\\.2500, 100 img/s.*");
                Thread.sleep(100);
            }
            job.get();
            assertTrue(seen, "no epoch reached the driver while the tasks ran: " + progress.statusLine());
            assertTrue(stepSeen, "no step within an epoch reached the driver: " + progress.statusLine());
        } finally {
            sc.removeSparkListener(listener);
        }
    }
}
