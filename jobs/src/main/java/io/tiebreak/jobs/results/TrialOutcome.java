package io.tiebreak.jobs.results;

import java.io.Serializable;

/**
 * One lr-search trial (a short run at a drawn learning rate) or, with kind "best", the trial chosen for its
 * configuration. objective is the trial's final test accuracy (higher is better); prunedEpoch is the epoch after which
 * the median pruner stopped it, or -1.
 */
public record TrialOutcome(RunOutcome run, String configId, int trial, String kind, String sampler, int prunedEpoch,
                           double objective) implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String TRIAL = "trial";
    public static final String BEST = "best";

    public TrialOutcome asBest() { return new TrialOutcome(run, configId, trial, BEST, sampler, prunedEpoch, objective); }
}
