package io.tiebreak.runtime.train;

/**
 * One finished epoch (the `epochs` table of docs/design.md, "Results"). Losses are means over batches at the working precision;
 * nonFiniteSteps counts steps whose loss or gradients were NaN/inf (skipped steps under loss scaling); gradNorm is
 * the mean over the epoch's steps of the global L2 norm of the (unscaled) gradient.
 */
public record EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy,
                           double lr, double seconds, long nonFiniteSteps, double gradNorm, double lossScale) {}
