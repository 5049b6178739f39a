package io.tiebreak.jobs.lrsearch;

import io.tiebreak.jobs.gridjob.EpochGate;
import io.tiebreak.runtime.train.EpochMetrics;
import java.util.Arrays;
import java.util.Locale;

/**
 * Optuna's median pruning, run on the executor after each epoch of a trial: once startupTrials trials of the
 * configuration have completed, a trial whose test accuracy after epoch e (numbered from 1; e > warmupEpochs) is
 * below the median of the completed trials' accuracies after epoch e stops there.
 */
public final class MedianPruner implements EpochGate {
    private static final long serialVersionUID = 1L;

    private final double[][] completedCurves;
    private final int startupTrials;
    private final int warmupEpochs;

    /** @param completedCurves test accuracy per epoch of every completed trial of the configuration */
    public MedianPruner(double[][] completedCurves, int startupTrials, int warmupEpochs) {
        this.completedCurves = completedCurves;
        this.startupTrials = startupTrials;
        this.warmupEpochs = warmupEpochs;
    }

    @Override
    public void afterEpoch(EpochMetrics m) {
        if (completedCurves.length < startupTrials || m.epoch() <= warmupEpochs) return;
        double median = median(m.epoch());
        if (Double.isNaN(median)) return;
        if (!(m.testAccuracy() >= median)) {
            throw new Stop(String.format(Locale.ROOT, "pruned after epoch %d: test accuracy %.4f below the median %.4f"
                    + " of %d completed trials", m.epoch(), m.testAccuracy(), median, completedCurves.length));
        }
    }

    /** Median of the completed trials' accuracy after epoch e (from 1; those that reached it), NaN when none did. */
    double median(int epoch) {
        double[] v = Arrays.stream(completedCurves).filter(c -> c.length >= epoch).mapToDouble(c -> c[epoch - 1])
                .filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) return Double.NaN;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
