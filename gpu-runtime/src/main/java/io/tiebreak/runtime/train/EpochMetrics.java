package io.tiebreak.runtime.train;

/**
 * One finished epoch (the `epochs` table of docs/design.md, "Results"), numbered from 1: epoch N is the state after
 * N epochs of training (docs/design.md, "Epoch numbers"). Losses are means over batches at the working precision;
 * nonFiniteSteps counts steps whose loss or gradients were NaN/inf (skipped steps under loss scaling); gradNorm is
 * the mean over the epoch's steps of the global L2 norm of the (unscaled) gradient.
 */
public record EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy,
                           double lr, double seconds, long nonFiniteSteps, double gradNorm, double lossScale) {

    /** The same metrics with another wall-clock time (checkpoints store 0 and keep the time beside them). */
    public EpochMetrics withSeconds(double s) {
        return new EpochMetrics(epoch, trainLoss, trainAccuracy, testLoss, testAccuracy, lr, s, nonFiniteSteps, gradNorm,
                lossScale);
    }
}
