package io.tiebreak.jobs.results;

import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.runtime.train.StateDigest;
import java.io.Serializable;
import java.util.List;

/**
 * What one attempt at a run produced: its status (with the reason when it did not complete), every epoch it
 * finished (those restored from a checkpoint included), where and how long it ran. Built on the executor, committed
 * to the runs and epochs tables by the driver.
 *
 * @param grid          the grid that asked for the run (not part of its identity)
 * @param divergedEpoch the epoch (from 1) whose loss or weights went non-finite, or -1
 * @param seconds       wall time of the task: data, backend, training and checkpoints
 * @param device        the device that trained it ("cpu", "cuda:0 (NVIDIA H100 ...)"), with a note on fallback
 * @param digest        SHA-256 digests of the final weights and optimizer state, null when training did not end
 */
public record RunOutcome(String grid, RunSpec spec, int attempt, Status status, String reason, int divergedEpoch,
                         List<EpochRow> epochs, double seconds, String device, String executor, String host,
                         long startedAtMillis, long finishedAtMillis, Versions versions, StateDigest digest)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    public RunOutcome {
        epochs = List.copyOf(epochs);
        reason = reason == null ? "" : reason;
    }

    public String runId() { return spec.runId(); }

    public int epochsDone() { return epochs.size(); }

    /** Seconds spent in epochs (training and evaluation), as the trainer measured them. */
    public double trainSeconds() { return epochs.stream().mapToDouble(EpochRow::seconds).sum(); }

    /**
     * The last epoch's test accuracy. For a diverged run, that of the network as it stood after its non-finite step
     * (the reference study's score: a NaN network predicts class 0, see docs/design.md, "Diverged runs").
     */
    public double finalTestAccuracy() { return epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1).testAccuracy(); }

    /**
     * Test accuracy after the last epoch that ended with finite weights: the final one unless the run diverged, then
     * the epoch's before (null when it diverged in its first epoch, or finished none).
     */
    public Double lastFiniteTestAccuracy() {
        int finite = status == Status.DIVERGED ? epochs.size() - 1 : epochs.size();
        return finite <= 0 ? null : epochs.get(finite - 1).testAccuracy();
    }

    public double bestTestAccuracy() {
        return epochs.stream().mapToDouble(EpochRow::testAccuracy).filter(a -> !Double.isNaN(a)).max().orElse(Double.NaN);
    }

    /**
     * Software and hardware that produced a result, recorded in every runs row: backend says what computed the
     * matrix products (our fixed-order GEMM, or the BLAS and the kernel set it picked), cpu on which processor.
     */
    public record Versions(String tiebreak, String spark, String java, String backend, String cpu)
            implements Serializable {
        private static final long serialVersionUID = 1L;
    }
}
