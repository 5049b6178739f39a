package io.tiebreak.runtime.train;

import java.util.List;

/** How a run ended, with every epoch it finished (restored ones included) and the digest of its final state. */
public record RunResult(Status status, String reason, List<EpochMetrics> epochs, double seconds, StateDigest digest) {

    public enum Status { COMPLETED, DIVERGED, FAILED }

    public RunResult {
        epochs = List.copyOf(epochs);
    }

    public int epochsDone() { return epochs.size(); }

    public double finalTestAccuracy() {
        return epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1).testAccuracy();
    }

    public double bestTestAccuracy() {
        return epochs.stream().mapToDouble(EpochMetrics::testAccuracy).filter(a -> !Double.isNaN(a)).max().orElse(Double.NaN);
    }
}
