package io.tiebreak.jobs.results;

import java.util.Locale;

/** How a run (or an lr-search trial) ended, as written in the status column. */
public enum Status {
    /** Trained every epoch. */
    COMPLETED,
    /** Loss or weights became NaN/inf; the run stopped at that epoch. A result, not an error: never retried. */
    DIVERGED,
    /** Threw; the reason says why. Re-running the sweep tries it again (a new attempt). */
    FAILED,
    /** lr-search only: stopped early by the median pruner. */
    PRUNED;

    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** Completed and diverged runs are final: re-runs skip them. */
    public boolean isFinal() { return this != FAILED; }

    public static Status parse(String s) { return valueOf(s.toUpperCase(Locale.ROOT)); }
}
