package io.tiebreak.runtime.train;

import java.util.List;

/** How a run ended, with every epoch it finished (restored ones included) and the digest of its final state. */
public record RunResult(Status status, String reason, List<EpochMetrics> epochs, double seconds, StateDigest digest) {

    public enum Status { COMPLETED, DIVERGED, FAILED }

    public RunResult {
        epochs = List.copyOf(epochs);
    }

    public int epochsDone() { return epochs.size(); }

    /** The last epoch's test accuracy; for a diverged run, that of the network after its non-finite step. */
    public double finalTestAccuracy() {
        return epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1).testAccuracy();
    }

    /**
     * Test accuracy after the last epoch that ended with finite weights: the final one of a completed run, the one
     * before the diverged epoch of a diverged run (NaN when it diverged in its first epoch).
     */
    public double lastFiniteTestAccuracy() {
        int finite = status == Status.DIVERGED ? epochs.size() - 1 : epochs.size();
        return finite == 0 ? Double.NaN : epochs.get(finite - 1).testAccuracy();
    }

    public double bestTestAccuracy() {
        return epochs.stream().mapToDouble(EpochMetrics::testAccuracy).filter(a -> !Double.isNaN(a)).max().orElse(Double.NaN);
    }
}
