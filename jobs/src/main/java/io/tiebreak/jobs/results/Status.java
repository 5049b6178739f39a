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
    PRUNED,
    /**
     * Not a result, and never written: the run met bad input of its own on the executor (a corrupt checkpoint, a
     * dataset shard changed since ingest) and was not trained. The job says so in one line naming the file and exits
     * 2 (docs/design.md, "Exit codes and bad input"); once the input is mended, the next job runs it.
     */
    BAD_INPUT;

    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** Completed and diverged runs (and pruned trials) are final: re-runs skip them. */
    public boolean isFinal() { return this != FAILED && this != BAD_INPUT; }

    public static Status parse(String s) { return valueOf(s.toUpperCase(Locale.ROOT)); }
}
