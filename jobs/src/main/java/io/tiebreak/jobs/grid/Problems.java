package io.tiebreak.jobs.grid;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects grid problems so a whole grid is checked before anything runs; throws them together. */
final class Problems {
    private final List<GridException.Problem> list = new ArrayList<>();

    /** Records a problem once, however many runs share it. */
    void add(Position at, String message) {
        GridException.Problem p = new GridException.Problem(at, message);
        if (!list.contains(p)) list.add(p);
    }

    boolean isEmpty() { return list.isEmpty(); }

    int size() { return list.size(); }

    void throwIfAny() {
        if (list.isEmpty()) return;
        List<GridException.Problem> sorted = new ArrayList<>(list);
        sorted.sort(Comparator.comparing((GridException.Problem p) -> p.at().file())
                .thenComparingInt(p -> p.at().line()).thenComparingInt(p -> p.at().column()));
        throw new GridException(sorted);
    }
}
