package io.tiebreak.jobs.grid;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Expands a zones grid into its configurations: the grid's runs as {@link Planner} resolves them (datasets, shapes,
 * normalization, overrides, every check with its position), times the policy pairs, times the weights. A run's
 * training-only settings (lr, optimizer, its own pool policy, epochs) matter only for checkpoint weights, through
 * the run_id of the sweep run that wrote them; configurations at initialization that differ only there are one.
 */
public final class ZonePlanner {
    private ZonePlanner() {}

    /** A configuration, the sweep run its weights come from (or start as), and how many minibatches it measures. */
    public record Config(ZoneSpec spec, RunSpec run, int minibatches) {}

    /** The configurations of a zones grid, in grid order, without duplicates. */
    public record Plan(Grid grid, List<Config> configs, int duplicatesMerged) {
        public Plan {
            configs = List.copyOf(configs);
        }

        public long minibatches() { return configs.stream().mapToLong(Config::minibatches).sum(); }
    }

    public static Plan plan(Grid grid, DatasetCatalog catalog, LrChoices lrChoices, boolean force) {
        ZoneAxes z = grid.zones();
        if (z == null) throw new IllegalArgumentException(grid.file() + " was not read as a zones grid");
        Planner.Plan runs = Planner.plan(grid, catalog, lrChoices, force);
        Problems problems = new Problems();
        Map<String, Config> configs = new LinkedHashMap<>();
        int duplicates = 0;
        for (RunSpec run : runs.runs()) {
            long samples = run.data().trainSubset() > 0 ? run.data().trainSubset()
                    : catalog.find(run.data().dataset()).orElseThrow().splitSizes().get(run.data().trainSplit());
            int full = (int) Math.min(Integer.MAX_VALUE, samples / run.training().batchSize());
            int asked = (Integer) z.minibatches().value();
            if (asked > full) {
                problems.add(z.minibatches().at(), "minibatches " + asked + " is more than the " + full + " full batches"
                        + " of " + samples + " samples of " + run.data().dataset() + "/" + run.data().trainSplit() + " at batch_size "
                        + run.training().batchSize() + " (or say minibatches: all)");
                continue;
            }
            for (Grid.Choice pc : z.pairs()) {
                ZoneAxes.Pair pair = (ZoneAxes.Pair) pc.value();
                for (Grid.Choice wc : z.weights()) {
                    Integer epoch = wc.value() instanceof Integer e ? e : null;
                    if (epoch != null && (epoch < 1 || epoch > run.training().epochs())) {
                        problems.add(wc.at(), "checkpoint epoch " + epoch + " does not exist: " + run.label()
                                + " trains " + run.training().epochs() + " epochs, numbered 1 to " + run.training().epochs()
                                + " (the weights before training are 'init')");
                        continue;
                    }
                    ZoneSpec spec = new ZoneSpec(run.data().dataset(), run.data().trainSplit(),
                            run.data().trainSubset(), run.model().inChannels(), run.model().height(),
                            run.model().width(), run.model().classes(), run.input().normMean(),
                            run.input().normStd(), run.model().network(), run.model().batchNorm(), run.precision(),
                            pair.a(), pair.b(), run.reluAlpha(), run.training().batchSize(), epoch,
                            epoch == null ? null : run.runId(), run.seed(), run.device(),
                            run.reproducibility());
                    Config c = new Config(spec, run, asked == ZoneAxes.ALL ? full : asked);
                    if (configs.putIfAbsent(spec.zoneId(), c) != null) duplicates++;
                }
            }
        }
        problems.throwIfAny();
        return new Plan(grid, new ArrayList<>(configs.values()), duplicates);
    }
}
