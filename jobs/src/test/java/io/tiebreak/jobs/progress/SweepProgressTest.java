package io.tiebreak.jobs.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.jobs.results.ResultStoreTest;
import io.tiebreak.jobs.results.Status;
import io.tiebreak.jobs.testing.Specs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SweepProgressTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private SweepProgress progress(SweepProgress.Mode mode) {
        return new SweepProgress("grid", List.of("a", "b", "c", "d"), List.of(10, 10, 10, 10), 3, mode, out,
                now::get, 30_000);
    }

    @Test
    void countsRunsAndRunningEpochsAndEstimatesTheRestFromTheEpochRate() {
        SweepProgress p = progress(SweepProgress.Mode.NONE);
        assertTrue(p.statusLine().endsWith("ETA --"), p.statusLine());
        p.started(0);
        p.started(1);
        now.addAndGet(20_000);
        p.epochs(0, 2);
        p.epochs(1, 2);
        p.step(0, new StepProgress.Step(3, 40, 94, 0.53214, 1234.4));
        p.step(1, new StepProgress.Step(2, 94, 94, 0.6, 1000)); // a step of an epoch already counted: not shown
        // 4 epochs in 20 s, 36 left: 180 s.
        assertEquals("0/4 runs · running 2 (epochs 2/10, step 40/94, loss 0.5321, 1234 img/s; epochs 2/10) · left 2"
                + " · committed 0 · skipped 3 done before · elapsed 20.0s · ETA 3m00s", p.statusLine());
        p.lost(1, "ExecutorLostFailure");
        p.started(1);
        List<RunSpec> specs = Specs.lenet(1);
        p.finished(0, ResultStoreTest.outcome(specs.get(0), 1, Status.COMPLETED, 10));
        p.committed(1);
        assertEquals(1, p.done());
        assertTrue(p.statusLine().startsWith("1/4 runs · 1 completed · running 1 (epochs 0/10) · left 2 · committed 1"),
                p.statusLine());
    }

    @Test
    void logModePrintsEveryFinishedRunAndAStatusLineNowAndThen() {
        SweepProgress p = progress(SweepProgress.Mode.LOG);
        p.started(2);
        p.finished(2, ResultStoreTest.outcome(Specs.lenet(1).get(0), 1, Status.DIVERGED, 3));
        p.tick();
        now.addAndGet(31_000);
        p.tick();
        p.close();
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(3, lines.length, String.join("\n", lines));
        assertTrue(lines[0].matches("run [0-9a-f]{16} diverged after 3 epochs in 5\\.0s, test accuracy 0\\.4200: "
                + "fashion-mnist lenet5 fp32 first sgd lr=0\\.01 seed=0 \\[1/4]"), lines[0]);
        assertTrue(lines[1].startsWith("grid: 1/4 runs · 1 diverged"), lines[1]);
        assertTrue(lines[2].startsWith("grid: 1/4 runs"), lines[2]);
    }

    @Test
    void durationsReadLikeClocks() {
        assertEquals("3.2s", SweepProgress.duration(3.21));
        assertEquals("4m05s", SweepProgress.duration(245));
        assertEquals("2h03m", SweepProgress.duration(7380));
        assertEquals("3d04h", SweepProgress.duration(3 * 86400 + 4 * 3600 + 59));
        assertEquals("--", SweepProgress.duration(Double.NaN));
    }
}
