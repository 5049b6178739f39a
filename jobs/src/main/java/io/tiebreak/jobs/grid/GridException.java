package io.tiebreak.jobs.grid;

import io.tiebreak.jobs.errors.UserError;
import java.util.List;
import java.util.stream.Collectors;

/** A grid that cannot run, with every problem found (not just the first), each at its file, line and column. */
public final class GridException extends UserError {
    private final List<Problem> problems;

    public GridException(List<Problem> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() { return problems; }

    /** One thing wrong with a grid, and where. */
    public record Problem(Position at, String message) {
        @Override public String toString() { return at + ": " + message; }
    }

    private static String format(List<Problem> problems) {
        String lines = problems.stream().map(Problem::toString).collect(Collectors.joining("\n  "));
        return problems.size() == 1 ? lines
                : problems.size() + " problems in the grid:\n  " + lines;
    }
}
