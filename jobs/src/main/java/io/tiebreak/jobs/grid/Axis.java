package io.tiebreak.jobs.grid;

import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.optim.Schedule;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Reproducibility;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The axes of a grid, each typed by the value it holds: the YAML key, how one value is read, and the value used when
 * the grid does not name the axis (null: the grid must name it). The study's defaults (docs/design.md, "Training
 * setup of the reference study"): SGD with momentum 0.9 and weight decay 5e-4, cosine annealing, batch 128, test
 * batch 100.
 *
 * @param <T> the type of the axis's values: what its reader returns and {@link #of} gives back
 */
public final class Axis<T> {
    public static final Axis<String> DATASET = new Axis<>("dataset", Values::dataset, null);
    public static final Axis<String> TRAIN_SPLIT = new Axis<>("train_split", Axis::splitName, Values.AUTO);
    public static final Axis<String> TEST_SPLIT = new Axis<>("test_split", Axis::splitName, "test");
    public static final Axis<Integer> TRAIN_SUBSET = new Axis<>("train_subset", Values::subset, 0);
    public static final Axis<Integer> TEST_SUBSET = new Axis<>("test_subset", Values::subset, 0);
    public static final Axis<ModelSpec.Network> NETWORK = new Axis<>("network", Values::network, null);
    public static final Axis<Boolean> BATCH_NORM = new Axis<>("batch_norm", (r, n) -> r.bool(n, "batch_norm"), false);
    public static final Axis<OptimizerSpec> OPTIMIZER =
            new Axis<>("optimizer", Values::optimizer, OptimizerSpec.studySgd());
    public static final Axis<Precision> PRECISION = new Axis<>("precision", Values::precision, Precision.FP32);
    public static final Axis<PoolPolicy> POOL = new Axis<>("pool", Values::pool, PoolPolicy.FIRST);
    public static final Axis<PoolPolicy.Form> POOL_FORM =
            new Axis<>("pool_form", Values::poolForm, PoolPolicy.Form.EXACT);
    public static final Axis<Double> RELU_ALPHA = new Axis<>("relu_alpha", (r, n) -> r.number(n, "relu_alpha"), 0.0);
    /** A learning rate, or {@link Values#BEST} for lr-search's choice. */
    public static final Axis<Double> LR = new Axis<>("lr", Values::lr, null);
    public static final Axis<Integer> BATCH_SIZE =
            new Axis<>("batch_size", (r, n) -> r.intAtLeast(n, "batch_size", 1), 128);
    /** Samples per micro-batch (docs/design.md, "Data parallelism"); 0 when not given: the batch size. */
    public static final Axis<Integer> MICRO_BATCH =
            new Axis<>("micro_batch", (r, n) -> r.intAtLeast(n, "micro_batch", 1), 0);
    public static final Axis<Integer> TEST_BATCH_SIZE =
            new Axis<>("test_batch_size", (r, n) -> r.intAtLeast(n, "test_batch_size", 1), 100);
    public static final Axis<Integer> EPOCHS = new Axis<>("epochs", (r, n) -> r.intAtLeast(n, "epochs", 1), null);
    public static final Axis<Schedule> SCHEDULE = new Axis<>("schedule", Values::schedule, Schedule.cosine());
    /** Empty for auto: the dataset's usual augmentation, resolved when the dataset is known. */
    public static final Axis<Optional<Augmentation>> AUGMENTATION =
            new Axis<>("augmentation", Values::augmentation, Optional.empty());
    public static final Axis<Device> DEVICE = new Axis<>("device", Values::device, Device.CPU);
    /** Devices one run trains on, each holding some of every batch's micro-batches: CPUs or GPUs of its task. */
    public static final Axis<Integer> DEVICES_PER_RUN =
            new Axis<>("devices_per_run", (r, n) -> r.intAtLeast(n, "devices_per_run", 1), 1);
    public static final Axis<Reproducibility> REPRODUCIBILITY =
            new Axis<>("reproducibility", Values::reproducibility, Reproducibility.DEFAULT);
    /** Written as {@code repeats: N} (seeds 0..N-1) or {@code seeds: [..]}. */
    public static final Axis<Long> SEED = new Axis<>("seeds", (r, n) -> r.integer(n, "seed"), 0L);

    /** Every axis, in the order a grid's points are enumerated (which fixes plan order). */
    public static final List<Axis<?>> ALL = List.of(DATASET, TRAIN_SPLIT, TEST_SPLIT, TRAIN_SUBSET, TEST_SUBSET, NETWORK,
            BATCH_NORM, OPTIMIZER, PRECISION, POOL, POOL_FORM, RELU_ALPHA, LR, BATCH_SIZE, MICRO_BATCH, TEST_BATCH_SIZE,
            EPOCHS, SCHEDULE, AUGMENTATION, DEVICE, DEVICES_PER_RUN, REPRODUCIBILITY, SEED);

    /** How one value of the axis is read from its node; null after recording a problem. */
    interface Reader<T> {
        T read(YamlReader r, Node n);
    }

    private final String key;
    private final Reader<T> reader;
    private final T fallback;

    private Axis(String key, Reader<T> reader, T fallback) {
        this.key = key;
        this.reader = reader;
        this.fallback = fallback;
    }

    public String key() { return key; }

    T read(YamlReader r, Node n) { return reader.read(r, n); }

    /** The value when the grid leaves the axis out, or null when it must be given. */
    public T fallback() { return fallback; }

    public boolean required() { return fallback == null; }

    /** The value of a choice made on this axis: every choice of an axis holds what its reader (or fallback) gave. */
    @SuppressWarnings("unchecked")
    public T of(Grid.Choice choice) { return (T) choice.value(); }

    @Override
    public String toString() { return key; }

    static final Map<String, Axis<?>> BY_KEY = ALL.stream().collect(Collectors.toMap(Axis::key, a -> a));

    static List<String> keys() { return ALL.stream().map(Axis::key).collect(Collectors.toList()); }

    private static String splitName(YamlReader r, Node n) {
        String t = r.text(n, "a split name");
        if (t != null && !t.matches("[a-z0-9_-]+")) {
            r.problem(n, "split name '" + t + "' must be lower-case letters, digits, '_' or '-'");
            return null;
        }
        return t;
    }

    /** Readers for the axes whose values have structure. */
    static final class Values {
        private Values() {}

        /** The train split's dataset-dependent default: resolved when the dataset is known. */
        static final String AUTO = "auto";

        /** A value of lr that means "the lr chosen by lr-search for this configuration". */
        static final double BEST = Double.NaN;

        /** The name of an ingested dataset: a folder under the data root, so no path separators. */
        static String dataset(YamlReader r, Node n) {
            String t = r.text(n, "a dataset name");
            if (t != null && !t.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
                r.problem(n, "dataset name '" + t + "' must be letters, digits, '.', '_' or '-'");
                return null;
            }
            return t;
        }

        static Integer subset(YamlReader r, Node n) {
            String t = r.text(n, "a sample count or 'all'");
            if (t == null) return null;
            if (t.equalsIgnoreCase("all")) return 0;
            return r.intAtLeast(n, "subset size (or 'all')", 1);
        }

        static ModelSpec.Network network(YamlReader r, Node n) {
            String t = r.text(n, "a network name");
            if (t == null) return null;
            try {
                return ModelSpec.Network.parse(t);
            } catch (IllegalArgumentException e) {
                List<String> ids = Arrays.stream(ModelSpec.Network.values()).map(ModelSpec.Network::id)
                        .collect(Collectors.toList());
                r.problem(n, "unknown network '" + t + "'" + DidYouMean.hint(t, ids) + ": expected one of "
                        + String.join(", ", ids));
                return null;
            }
        }

        static Precision precision(YamlReader r, Node n) {
            String t = r.text(n, "a precision");
            if (t == null) return null;
            try {
                return Precision.parse(t);
            } catch (IllegalArgumentException e) {
                List<String> ids = Arrays.stream(Precision.values()).map(Precision::id).collect(Collectors.toList());
                r.problem(n, "unknown precision '" + t + "'" + DidYouMean.hint(t, ids)
                        + ": expected fp16, fp32, fp64 or mixed (or 16, 32, 64, 24)");
                return null;
            }
        }

        /** first, last, min-norm, all, beta:B, or a bare number B meaning beta:B (the study's B axis). */
        static PoolPolicy pool(YamlReader r, Node n) {
            String t = r.text(n, "a pool policy");
            if (t == null) return null;
            try {
                if (t.indexOf('/') >= 0) throw new IllegalArgumentException("the form is the pool_form axis");
                return PoolPolicy.parse(t);
            } catch (IllegalArgumentException e) {
                r.problem(n, "unknown pool policy '" + t + "'"
                        + DidYouMean.hint(t, List.of("first", "last", "min-norm", "all"))
                        + ": expected first, last, min-norm, all, beta:<B> or a number B");
                return null;
            }
        }

        static PoolPolicy.Form poolForm(YamlReader r, Node n) {
            String t = r.word(n, "pool_form", List.of("exact", "composite"));
            return t == null ? null : PoolPolicy.Form.parse(t);
        }

        static Double lr(YamlReader r, Node n) {
            String t = r.text(n, "a learning rate or 'best'");
            if (t == null) return null;
            if (t.equalsIgnoreCase("best")) return BEST;
            return r.positiveNumber(n, "learning rate");
        }

        static Reproducibility reproducibility(YamlReader r, Node n) {
            String t = r.word(n, "reproducibility", List.of("host", "portable"));
            return t == null ? null : Reproducibility.parse(t);
        }

        static Device device(YamlReader r, Node n) {
            String t = r.word(n, "device", List.of("cpu", "gpu", "auto"));
            return t == null ? null : Device.valueOf(t.toUpperCase(java.util.Locale.ROOT));
        }

        /**
         * sgd | adam (the study's settings), or a mapping {name: sgd, momentum, weight_decay, nesterov, dampening}
         * / {name: adam, beta1, beta2, eps, weight_decay} with PyTorch's meaning.
         */
        static OptimizerSpec optimizer(YamlReader r, Node n) {
            if (!(n instanceof org.yaml.snakeyaml.nodes.MappingNode)) {
                String kind = r.word(n, "optimizer", List.of("sgd", "adam"));
                if (kind == null) return null;
                return kind.equals("sgd") ? OptimizerSpec.studySgd() : OptimizerSpec.adam(0);
            }
            Map<String, YamlReader.Entry> m = r.mapping(n, "optimizer");
            YamlReader.Entry name = m.get("name");
            if (name == null) {
                r.problem(n, "optimizer mapping needs 'name: sgd' or 'name: adam'");
                return null;
            }
            String kind = r.word(name.value(), "optimizer", List.of("sgd", "adam"));
            if (kind == null) return null;
            List<String> known = kind.equals("sgd")
                    ? List.of("name", "momentum", "dampening", "weight_decay", "nesterov")
                    : List.of("name", "beta1", "beta2", "eps", "weight_decay");
            if (!r.onlyKeys(m, known, kind + " optimizer")) return null;
            OptimizerSpec base = kind.equals("sgd") ? OptimizerSpec.studySgd() : OptimizerSpec.adam(0);
            Double momentum = num(r, m, "momentum", base.momentum());
            Double dampening = num(r, m, "dampening", base.dampening());
            Double wd = num(r, m, "weight_decay", base.weightDecay());
            Double b1 = num(r, m, "beta1", base.beta1());
            Double b2 = num(r, m, "beta2", base.beta2());
            Double eps = num(r, m, "eps", base.eps());
            Boolean nesterov = m.containsKey("nesterov") ? r.bool(m.get("nesterov").value(), "nesterov") : false;
            if (momentum == null || dampening == null || wd == null || b1 == null || b2 == null || eps == null
                    || nesterov == null) {
                return null;
            }
            try {
                return new OptimizerSpec(base.kind(), momentum, dampening, wd, nesterov, b1, b2, eps);
            } catch (IllegalArgumentException e) {
                r.problem(n, "impossible optimizer settings: " + e.getMessage());
                return null;
            }
        }

        private static Double num(YamlReader r, Map<String, YamlReader.Entry> m, String key, double fallback) {
            YamlReader.Entry e = m.get(key);
            return e == null ? Double.valueOf(fallback) : r.number(e.value(), key);
        }

        /** cosine | constant, or {name: step, step_size, gamma} / {name: cosine, eta_min}. */
        static Schedule schedule(YamlReader r, Node n) {
            if (!(n instanceof org.yaml.snakeyaml.nodes.MappingNode)) {
                String kind = r.word(n, "schedule", List.of("cosine", "constant", "step"));
                if (kind == null) return null;
                if (kind.equals("step")) {
                    r.problem(n, "a step schedule needs its settings: {name: step, step_size: N, gamma: G}");
                    return null;
                }
                return kind.equals("cosine") ? Schedule.cosine() : Schedule.constant();
            }
            Map<String, YamlReader.Entry> m = r.mapping(n, "schedule");
            YamlReader.Entry name = m.get("name");
            if (name == null) {
                r.problem(n, "schedule mapping needs 'name: cosine', 'name: step' or 'name: constant'");
                return null;
            }
            String kind = r.word(name.value(), "schedule", List.of("cosine", "constant", "step"));
            if (kind == null) return null;
            List<String> known = kind.equals("step") ? List.of("name", "step_size", "gamma")
                    : kind.equals("cosine") ? List.of("name", "eta_min") : List.of("name");
            if (!r.onlyKeys(m, known, kind + " schedule")) return null;
            switch (kind) {
                case "step": {
                    List<String> missing = YamlReader.missing(m, List.of("step_size", "gamma"));
                    if (!missing.isEmpty()) {
                        r.problem(n, "step schedule needs " + String.join(" and ", missing));
                        return null;
                    }
                    Integer size = r.intAtLeast(m.get("step_size").value(), "step_size", 1);
                    Double gamma = r.positiveNumber(m.get("gamma").value(), "gamma");
                    return size == null || gamma == null ? null : Schedule.step(size, gamma);
                }
                case "cosine": {
                    Double etaMin = num(r, m, "eta_min", 0);
                    return etaMin == null ? null : new Schedule(Schedule.Kind.COSINE, 0, 1, etaMin);
                }
                default:
                    return Schedule.constant();
            }
        }

        /** auto (the dataset's usual one), none, or {crop_padding: P, flip: true|false}. */
        static Optional<Augmentation> augmentation(YamlReader r, Node n) {
            if (!(n instanceof org.yaml.snakeyaml.nodes.MappingNode)) {
                String t = r.word(n, "augmentation", List.of("auto", "none"));
                return t == null ? null : t.equals("auto") ? Optional.empty() : Optional.of(Augmentation.NONE);
            }
            Map<String, YamlReader.Entry> m = r.mapping(n, "augmentation");
            if (!r.onlyKeys(m, List.of("crop_padding", "flip"), "augmentation")) return null;
            Integer pad = m.containsKey("crop_padding") ? r.intAtLeast(m.get("crop_padding").value(), "crop_padding", 0) : 0;
            Boolean flip = m.containsKey("flip") ? r.bool(m.get("flip").value(), "flip") : false;
            return pad == null || flip == null ? null : Optional.of(new Augmentation(pad, flip));
        }
    }
}
