package io.tiebreak.jobs.grid;

import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Reproducibility;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * Expands a grid into its runs: the cartesian product of the axes, then the overrides, then each point resolved
 * against its dataset (shape, splits, the study's defaults) and lr-search's choices. Every impossible combination is
 * reported with the position of the value that causes it; nothing runs until the whole grid is sound.
 */
public final class Planner {
    private Planner() {}

    /** Never enumerate more points than this, even when forced: a typo'd list can make billions. */
    static final long HARD_LIMIT = 2_000_000;

    /** The runs of a grid, in grid order, without duplicates. */
    public record Plan(Grid grid, List<RunSpec> runs, int duplicatesRemoved) {
        public Plan {
            runs = List.copyOf(runs);
        }
    }

    public static Plan plan(Grid grid, DatasetCatalog catalog, LrChoices lrChoices, boolean force) {
        Problems problems = new Problems();
        Position top = new Position(grid.file(), 1, 1);
        long base = 1;
        for (Axis<?> a : Axis.ALL) base = Math.multiplyExact(base, Math.max(1, grid.values(a).size()));
        if (base > HARD_LIMIT || (!force && base > grid.maxRuns())) {
            problems.add(top, tooMany(base, grid.maxRuns()) + (base > HARD_LIMIT ? " (even forced, the limit is "
                    + HARD_LIMIT + ")" : ""));
            problems.throwIfAny();
        }
        List<Map<Axis<?>, Grid.Choice>> points = product(grid);
        for (Grid.Override o : grid.overrides()) {
            List<Map<Axis<?>, Grid.Choice>> next = new ArrayList<>();
            int matched = 0;
            for (Map<Axis<?>, Grid.Choice> p : points) {
                if (matches(o, p)) {
                    matched++;
                    next.addAll(replace(p, o.set()));
                } else {
                    next.add(p);
                }
                if (next.size() > HARD_LIMIT) {
                    problems.add(o.at(), "this override makes more than " + HARD_LIMIT + " runs");
                    problems.throwIfAny();
                }
            }
            if (matched == 0) {
                problems.add(o.at(), "this override never applies: no run has " + o.when().entrySet().stream()
                        .map(e -> e.getKey().key() + ": " + show(e.getValue().value()))
                        .collect(Collectors.joining(", ")));
            }
            points = next;
        }
        Map<String, RunSpec> runs = new LinkedHashMap<>();
        int duplicates = 0;
        for (Map<Axis<?>, Grid.Choice> p : points) {
            RunSpec spec = resolve(p, catalog, lrChoices, problems);
            if (spec == null) continue;
            if (runs.putIfAbsent(spec.runId(), spec) != null) duplicates++;
        }
        if (!force && runs.size() > grid.maxRuns()) problems.add(top, tooMany(runs.size(), grid.maxRuns()));
        problems.throwIfAny();
        return new Plan(grid, new ArrayList<>(runs.values()), duplicates);
    }

    private static String tooMany(long n, int max) {
        return String.format("the grid makes %,d runs, over its limit of %,d: raise max_runs in the grid or pass "
                + "--force", n, max);
    }

    private static List<Map<Axis<?>, Grid.Choice>> product(Grid grid) {
        List<Map<Axis<?>, Grid.Choice>> points = new ArrayList<>();
        points.add(new LinkedHashMap<>());
        for (Axis<?> a : Axis.ALL) {
            List<Map<Axis<?>, Grid.Choice>> next = new ArrayList<>();
            for (Map<Axis<?>, Grid.Choice> p : points) {
                for (Grid.Choice c : grid.values(a)) {
                    Map<Axis<?>, Grid.Choice> q = new LinkedHashMap<>(p);
                    q.put(a, c);
                    next.add(q);
                }
            }
            points = next;
        }
        return points;
    }

    private static boolean matches(Grid.Override o, Map<Axis<?>, Grid.Choice> p) {
        for (Map.Entry<Axis<?>, Grid.Choice> w : o.when().entrySet()) {
            Object want = w.getValue().value(), have = p.get(w.getKey()).value();
            if (!same(w.getKey(), want, have)) return false;
        }
        return true;
    }

    /** Axis values compare by value; an optimizer named bare ('adam') matches any settings of that kind. */
    private static boolean same(Axis<?> axis, Object want, Object have) {
        if (want instanceof OptimizerSpec w && have instanceof OptimizerSpec h) return w.kind() == h.kind();
        if (want instanceof Double w && have instanceof Double h) return Double.compare(w, h) == 0;
        if (want instanceof Number w && have instanceof Number h) return w.longValue() == h.longValue();
        return want.equals(have);
    }

    private static List<Map<Axis<?>, Grid.Choice>> replace(Map<Axis<?>, Grid.Choice> p, Map<Axis<?>, List<Grid.Choice>> set) {
        List<Map<Axis<?>, Grid.Choice>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>(p));
        for (Map.Entry<Axis<?>, List<Grid.Choice>> e : set.entrySet()) {
            List<Map<Axis<?>, Grid.Choice>> next = new ArrayList<>();
            for (Map<Axis<?>, Grid.Choice> q : out) {
                for (Grid.Choice c : e.getValue()) {
                    Map<Axis<?>, Grid.Choice> r = new LinkedHashMap<>(q);
                    r.put(e.getKey(), c);
                    next.add(r);
                }
            }
            out = next;
        }
        return out;
    }

    private static <T> T value(Map<Axis<?>, Grid.Choice> p, Axis<T> a) { return a.of(p.get(a)); }

    private static Position at(Map<Axis<?>, Grid.Choice> p, Axis<?> a) { return p.get(a).at(); }

    /** One point as a run, or null after recording why it cannot be one. */
    private static RunSpec resolve(Map<Axis<?>, Grid.Choice> p, DatasetCatalog catalog, LrChoices lrChoices,
                                   Problems problems) {
        String dataset = value(p, Axis.DATASET);
        DatasetInfo info = catalog.find(dataset).orElse(null);
        if (info == null) {
            problems.add(at(p, Axis.DATASET), "no dataset '" + dataset + "' under " + catalog.location()
                    + DidYouMean.hint(dataset, catalog.names()) + " (ingest it first: tiebreak ingest)");
            return null;
        }
        DatasetDefaults defaults = DatasetDefaults.of(info.family());
        String trainSplit = value(p, Axis.TRAIN_SPLIT);
        if (trainSplit.equals(Axis.Values.AUTO)) trainSplit = defaults.trainSplit();
        String testSplit = value(p, Axis.TEST_SPLIT);
        boolean ok = split(info, trainSplit, at(p, Axis.TRAIN_SPLIT), problems)
                & split(info, testSplit, at(p, Axis.TEST_SPLIT), problems);
        if (!ok) return null;
        long trainSize = info.splitSizes().get(trainSplit), testSize = info.splitSizes().get(testSplit);
        int trainSubset = value(p, Axis.TRAIN_SUBSET), testSubset = value(p, Axis.TEST_SUBSET);
        if (trainSubset > trainSize) {
            problems.add(at(p, Axis.TRAIN_SUBSET), "train_subset " + trainSubset + " is more than the " + trainSize
                    + " samples of " + dataset + "/" + trainSplit);
            ok = false;
        }
        if (testSubset > testSize) {
            problems.add(at(p, Axis.TEST_SUBSET), "test_subset " + testSubset + " is more than the " + testSize
                    + " samples of " + dataset + "/" + testSplit);
            ok = false;
        }
        long trainCount = trainSubset == 0 ? trainSize : trainSubset;
        int batch = value(p, Axis.BATCH_SIZE);
        if (batch > trainCount) {
            problems.add(at(p, Axis.BATCH_SIZE), "batch_size " + batch + " is more than the " + trainCount
                    + " training samples");
            ok = false;
        }
        ModelSpec.Network network = value(p, Axis.NETWORK);
        int min = minimumInput(network, Math.min(info.height(), info.width()));
        if (Math.min(info.height(), info.width()) < min) {
            problems.add(at(p, Axis.NETWORK), network.id() + " needs inputs of at least " + min + "x" + min + ", "
                    + dataset + " has " + info.height() + "x" + info.width());
            ok = false;
        }
        PoolPolicy policy = value(p, Axis.POOL);
        PoolPolicy.Form form = value(p, Axis.POOL_FORM);
        if (form == PoolPolicy.Form.COMPOSITE && policy.kind() != PoolPolicy.Kind.BETA) {
            problems.add(at(p, Axis.POOL_FORM), "pool_form composite exists only for beta:B policies, not for '"
                    + policy.name() + "' (the composite form of first is beta:0, of min-norm beta:1; or set pool_form"
                    + " per policy with an override)");
            ok = false;
        }
        if (!ok) return null;

        Normalization norm;
        try {
            norm = defaults.normalization(info);
        } catch (IllegalArgumentException e) {
            problems.add(at(p, Axis.DATASET), "cannot normalize " + dataset + ": " + e.getMessage());
            return null;
        }
        Augmentation augmentation = value(p, Axis.AUGMENTATION).orElse(defaults.augmentation());
        double lr = value(p, Axis.LR);
        RunSpec spec;
        try {
            spec = new RunSpec(new RunSpec.Data(dataset, trainSplit, testSplit, trainSubset, testSubset),
                    new ModelSpec(network, value(p, Axis.BATCH_NORM), info.channels(), info.height(), info.width(),
                            info.classNames().size()),
                    new RunSpec.Input(DatasetDefaults.list(norm.mean()), DatasetDefaults.list(norm.std()),
                            augmentation.cropPadding(), augmentation.horizontalFlip()),
                    value(p, Axis.OPTIMIZER), value(p, Axis.PRECISION), policy.withForm(form), value(p, Axis.RELU_ALPHA),
                    new RunSpec.Training(lr, batch, value(p, Axis.TEST_BATCH_SIZE), value(p, Axis.EPOCHS),
                            value(p, Axis.SCHEDULE)),
                    value(p, Axis.DEVICE), value(p, Axis.REPRODUCIBILITY), value(p, Axis.SEED));
        } catch (IllegalArgumentException e) {
            problems.add(at(p, Axis.DATASET), "impossible run of " + network.id() + " on " + dataset + ": "
                    + e.getMessage());
            return null;
        }
        if (Double.isNaN(lr)) {
            OptionalDouble best = lrChoices.best(spec.configId());
            if (best.isEmpty()) {
                problems.add(at(p, Axis.LR), "lr: best, but lr-search has no result for " + spec.withLr(0).label()
                        .replace(" lr=0", "") + " (config " + spec.configId() + "): run tiebreak lr-search on this"
                        + " grid first, with the same results folder");
                return null;
            }
            spec = spec.withLr(best.getAsDouble());
        }
        try {
            spec.trainConfig();
        } catch (IllegalArgumentException e) {
            problems.add(at(p, Axis.DATASET), "impossible run " + spec.label() + ": " + e.getMessage());
            return null;
        }
        return spec;
    }

    private static boolean split(DatasetInfo info, String split, Position at, Problems problems) {
        if (info.splitSizes().containsKey(split)) return true;
        problems.add(at, "dataset " + info.name() + " has no split '" + split + "'"
                + DidYouMean.hint(split, info.splitSizes().keySet()) + " (it has "
                + String.join(", ", info.splitSizes().keySet()) + ")");
        return false;
    }

    /**
     * Smallest input side a network accepts (docs/design.md, "Models"): LeNet-5's two k5 convs and two 2x2 pools need 16;
     * VGG's five 2x2 pools need 32; ResNet below 64 pixels (3x3 stem, pool, three stride-2 stages) needs 16;
     * DenseNet121's 7x7/2 stem, pool and three 2x2 average pools need 31.
     */
    static int minimumInput(ModelSpec.Network network, int side) {
        switch (network) {
            case LENET5: return 16;
            case VGG11: case VGG13: case VGG16: case VGG19: return 32;
            case DENSENET121: return 31;
            default: return side >= 64 ? 64 : 16;
        }
    }

    private static String show(Object v) {
        if (v instanceof OptimizerSpec o) return o.kind().id();
        if (v instanceof PoolPolicy pp) return pp.name();
        if (v instanceof Precision pr) return pr.id();
        if (v instanceof ModelSpec.Network n) return n.id();
        if (v instanceof Device d) return d.id();
        if (v instanceof Reproducibility r) return r.id();
        if (v instanceof Double d) return Double.isNaN(d) ? "best" : Canonical.number(d);
        if (v instanceof java.util.Optional<?> o) return o.map(Planner::show).orElse("auto");
        return String.valueOf(v);
    }
}
