package io.tiebreak.jobs.grid;

import io.tiebreak.runtime.jacobian.PoolPolicy;
import java.util.List;

/**
 * The keys only a zones grid has, each value with where it was written:
 * <ul>
 *   <li>{@code policies}: the pair of MaxPool Jacobians compared, {@code [first, min-norm]} by default, or a list of
 *       pairs; a policy is first, last, min-norm, all, beta:B or a bare number B, and beta:B/composite for the
 *       study's composite form;</li>
 *   <li>{@code weights}: {@code init} (the seed's initialization, the default) and/or checkpoint epochs N of the sweep
 *       run the grid's other axes describe (the checkpoint written after epoch N, numbered from 0 as the epochs
 *       table does);</li>
 *   <li>{@code minibatches}: how many minibatches per configuration, or {@code all} (every full batch of the
 *       split, the default).</li>
 * </ul>
 */
public record ZoneAxes(List<Grid.Choice> pairs, List<Grid.Choice> weights, Grid.Choice minibatches) {

    /** Two policies to compare: A's gradients against B's. */
    public record Pair(PoolPolicy a, PoolPolicy b) {}

    /** The weights value for the initialization (other values are Integer epochs). */
    public static final String INIT = "init";

    /** The minibatches value for every full batch of the split. */
    public static final int ALL = 0;

    /** Keys a zones grid has beyond a sweep's. */
    static final List<String> KEYS = List.of("policies", "weights", "minibatches");

    /**
     * Zones at initialization train nothing, so a zones grid need not give lr and epochs: these stand in for them.
     * They never reach a zone configuration (only checkpoint weights name a training run, and those need the
     * grid's real lr and epochs).
     */
    static final double UNUSED_LR = 1;
    static final int UNUSED_EPOCHS = 1;

    public ZoneAxes {
        pairs = List.copyOf(pairs);
        weights = List.copyOf(weights);
    }

    /** Whether some weights come from sweep checkpoints (which need the training run's full settings). */
    public boolean fromCheckpoints() { return weights.stream().anyMatch(c -> c.value() instanceof Integer); }
}
