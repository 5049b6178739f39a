package io.tiebreak.jobs.grid;

import java.util.OptionalDouble;

/** The learning rate lr-search chose per configuration id ({@link RunSpec#configId()}), for grids with lr: best. */
public interface LrChoices {
    OptionalDouble best(String configId);

    /** No lr-search results at all. */
    LrChoices NONE = id -> OptionalDouble.empty();
}
