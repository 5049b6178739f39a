package io.tiebreak.jobs.results;

import io.tiebreak.runtime.train.EpochMetrics;
import java.io.Serializable;

/** One epoch's metrics as they travel from executor to driver (the runtime's record is not Serializable). */
public record EpochRow(int epoch, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy,
                       double lr, double seconds, long nonFiniteSteps, double gradNorm, double lossScale)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    public static EpochRow of(EpochMetrics m) {
        return new EpochRow(m.epoch(), m.trainLoss(), m.trainAccuracy(), m.testLoss(), m.testAccuracy(), m.lr(),
                m.seconds(), m.nonFiniteSteps(), m.gradNorm(), m.lossScale());
    }
}
