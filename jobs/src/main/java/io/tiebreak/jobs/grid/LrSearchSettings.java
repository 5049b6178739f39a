package io.tiebreak.jobs.grid;

/**
 * How lr-search explores learning rates for each configuration, as the reference study did with Optuna: trials
 * with learning rates drawn log-uniformly in [low, high] (or proposed by TPE after startupTrials random ones), each
 * pruned after an epoch whose test accuracy falls below the median of finished trials at that epoch (once
 * prunerStartupTrials have finished and after prunerWarmupEpochs). epochs 0 means the runs' own epochs.
 */
public record LrSearchSettings(int trials, double low, double high, Sampler sampler, int startupTrials,
                               boolean medianPruning, int prunerStartupTrials, int prunerWarmupEpochs, int epochs,
                               long seed) {

    public enum Sampler { RANDOM, TPE }

    public static final LrSearchSettings DEFAULT =
            new LrSearchSettings(10, 1e-5, 1e-1, Sampler.RANDOM, 5, true, 5, 0, 0, 0);

    public LrSearchSettings {
        if (trials < 1) throw new IllegalArgumentException("trials must be at least 1");
        if (!(low > 0) || !(high > low)) throw new IllegalArgumentException("need 0 < low < high");
    }
}
