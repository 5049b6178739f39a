package io.tiebreak.jobs.grid;

import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.optim.Schedule;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Reproducibility;
import io.tiebreak.runtime.train.TrainConfig;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * One training run, every setting resolved (dataset shape and defaults filled in, lr: best replaced by its value), in
 * small records by what each part is about. Serializable so it travels to executors as is. {@link #FIELDS} flattens
 * it, once, into the columns of every result row: result schemas, the canonical config and {@link #runId()} all
 * come from it.
 */
public record RunSpec(Data data, ModelSpec model, Input input, OptimizerSpec optimizer, Precision precision,
                      PoolPolicy pool, double reluAlpha, Training training, Device device, int devicesPerRun,
                      Reproducibility reproducibility, long seed)
        implements Serializable {

    public RunSpec {
        if (devicesPerRun < 1) throw new IllegalArgumentException("devices_per_run must be at least 1, got " + devicesPerRun);
    }

    /** A run on one device. */
    public RunSpec(Data data, ModelSpec model, Input input, OptimizerSpec optimizer, Precision precision,
                   PoolPolicy pool, double reluAlpha, Training training, Device device,
                   Reproducibility reproducibility, long seed) {
        this(data, model, input, optimizer, precision, pool, reluAlpha, training, device, 1, reproducibility, seed);
    }

    /** Which samples: the dataset, its train and test splits, and the first n of each (0: all). */
    public record Data(String dataset, String trainSplit, String testSplit, int trainSubset, int testSubset)
            implements Serializable {}

    /** How samples enter the network: per-channel normalization, and the training augmentation. */
    public record Input(List<Double> normMean, List<Double> normStd, int cropPadding, boolean flip)
            implements Serializable {
        public Input {
            normMean = List.copyOf(normMean);
            normStd = List.copyOf(normStd);
        }
    }

    /**
     * How long and how fast: lr (per epoch from the schedule), batch sizes, epochs, and the micro-batches each batch's
     * sums are cut into (docs/design.md, "Data parallelism"; the batch size: one micro-batch).
     */
    public record Training(double lr, int batchSize, int testBatchSize, int epochs, Schedule schedule, int microBatch)
            implements Serializable {

        /** Batches of one micro-batch each. */
        public Training(double lr, int batchSize, int testBatchSize, int epochs, Schedule schedule) {
            this(lr, batchSize, testBatchSize, epochs, schedule, batchSize);
        }
    }

    private static final long serialVersionUID = 1L;

    /** Bumped when the meaning of a field changes, so old and new runs never share a run_id. */
    public static final int CANONICAL_VERSION = 1;

    /** How a field is stored in result tables. */
    public enum Kind { STRING, INT, LONG, DOUBLE, BOOLEAN, DOUBLE_LIST }

    /**
     * A config field: its column name, type, value, and the role it plays. {@code identity} fields make the run_id
     * (devices_per_run does not: it changes no bit); the configuration id (what lr-search chooses an lr for) leaves
     * out lr, seed, epochs, device, micro-batch and reproducibility. A field added after runs were first recorded has
     * a {@code legacy} value, the one every run had before it existed (a function of the run: the micro-batch was the
     * batch size): the canonical config leaves the field out when it holds that value, so the run_ids of earlier
     * results stay what they were (null: always written).
     */
    public record Field(String name, Kind kind, Function<RunSpec, Object> value, boolean identity,
                        boolean configuration, Function<RunSpec, Object> legacy) {

        /** Whether the canonical config (the run_id's text) writes this field for spec. */
        boolean inCanonical(RunSpec spec) {
            return identity && (legacy == null || !legacy.apply(spec).equals(value.apply(spec)));
        }
    }

    private static Field f(String name, Kind kind, Function<RunSpec, Object> value) {
        return new Field(name, kind, value, true, true, null);
    }

    private static Field notInConfig(String name, Kind kind, Function<RunSpec, Object> value) {
        return new Field(name, kind, value, true, false, null);
    }

    /** A field added later, left out of the canonical config while it holds legacy (see {@link Field}). */
    private static Field since(String name, Kind kind, Function<RunSpec, Object> value, boolean configuration,
                               Function<RunSpec, Object> legacy) {
        return new Field(name, kind, value, true, configuration, legacy);
    }

    /** A column that is not part of the run's identity: how it ran, not what it computed. */
    private static Field notInIdentity(String name, Kind kind, Function<RunSpec, Object> value) {
        return new Field(name, kind, value, false, false, null);
    }

    /** Every config column, in table order. */
    public static final List<Field> FIELDS = List.of(
            f("dataset", Kind.STRING, s -> s.data().dataset()),
            f("train_split", Kind.STRING, s -> s.data().trainSplit()),
            f("test_split", Kind.STRING, s -> s.data().testSplit()),
            f("train_subset", Kind.INT, s -> s.data().trainSubset()),
            f("test_subset", Kind.INT, s -> s.data().testSubset()),
            f("channels", Kind.INT, s -> s.model().inChannels()),
            f("height", Kind.INT, s -> s.model().height()),
            f("width", Kind.INT, s -> s.model().width()),
            f("classes", Kind.INT, s -> s.model().classes()),
            f("norm_mean", Kind.DOUBLE_LIST, s -> s.input().normMean()),
            f("norm_std", Kind.DOUBLE_LIST, s -> s.input().normStd()),
            f("crop_padding", Kind.INT, s -> s.input().cropPadding()),
            f("flip", Kind.BOOLEAN, s -> s.input().flip()),
            f("network", Kind.STRING, s -> s.model().network().id()),
            f("batch_norm", Kind.BOOLEAN, s -> s.model().batchNorm()),
            f("optimizer", Kind.STRING, s -> s.optimizer().kind().id()),
            f("momentum", Kind.DOUBLE, s -> s.optimizer().momentum()),
            f("dampening", Kind.DOUBLE, s -> s.optimizer().dampening()),
            f("weight_decay", Kind.DOUBLE, s -> s.optimizer().weightDecay()),
            f("nesterov", Kind.BOOLEAN, s -> s.optimizer().nesterov()),
            f("beta1", Kind.DOUBLE, s -> s.optimizer().beta1()),
            f("beta2", Kind.DOUBLE, s -> s.optimizer().beta2()),
            f("eps", Kind.DOUBLE, s -> s.optimizer().eps()),
            f("precision", Kind.STRING, s -> s.precision().id()),
            f("bits", Kind.INT, s -> s.precision().bits()),
            // The pool policy as three columns: its name, B (null unless beta:B) and its form (docs/design.md,
            // "Result tables"); PoolPolicy.id() joins name and form, as the zones table writes a policy.
            f("pool", Kind.STRING, s -> s.pool().name()),
            f("beta", Kind.DOUBLE, s -> s.pool().kind() == PoolPolicy.Kind.BETA ? Double.valueOf(s.pool().beta()) : null),
            f("pool_form", Kind.STRING, s -> s.pool().form().id()),
            f("relu_alpha", Kind.DOUBLE, RunSpec::reluAlpha),
            notInConfig("lr", Kind.DOUBLE, s -> s.training().lr()),
            f("batch_size", Kind.INT, s -> s.training().batchSize()),
            // Micro-batches change the bits (docs/design.md, "Data parallelism"); one per batch is what every run
            // computed before the setting existed.
            since("micro_batch", Kind.INT, s -> s.training().microBatch(), false, s -> s.training().batchSize()),
            f("test_batch_size", Kind.INT, s -> s.training().testBatchSize()),
            notInConfig("epochs", Kind.INT, s -> s.training().epochs()),
            f("schedule", Kind.STRING, s -> s.training().schedule().kind().id()),
            f("step_size", Kind.INT, s -> s.training().schedule().stepSize()),
            f("gamma", Kind.DOUBLE, s -> s.training().schedule().gamma()),
            f("eta_min", Kind.DOUBLE, s -> s.training().schedule().etaMin()),
            notInConfig("device", Kind.STRING, s -> s.device().id()),
            notInIdentity("devices_per_run", Kind.INT, RunSpec::devicesPerRun),
            // Host mode is what every run computed before the setting existed (docs/design.md, "Reproducibility").
            since("reproducibility", Kind.STRING, s -> s.reproducibility().id(), false, s -> Reproducibility.HOST.id()),
            notInConfig("seed", Kind.LONG, RunSpec::seed));

    /** Config columns whose value differs between runs of the plan (the seed excluded: repeats are grouped). */
    public static List<String> varyingColumns(List<RunSpec> runs) {
        List<String> out = new ArrayList<>();
        for (Field f : FIELDS) {
            if (f.name().equals("seed")) continue;
            Set<Object> values = new HashSet<>();
            for (RunSpec r : runs) values.add(Objects.toString(f.value().apply(r)));
            if (values.size() > 1) out.add(f.name());
        }
        return out;
    }

    /** Stable id of the run: a hash of its canonical config, seed included. */
    public String runId() { return Canonical.hashId(canonicalConfig()); }

    /** Id of the configuration without lr, seed, epochs and device: what lr-search picks an lr for. */
    public String configId() { return Canonical.hashId(Canonical.json(this, FIELDS.stream().filter(Field::configuration).toList())); }

    /** The canonical config (sorted keys, shortest round-tripping numbers), from which the run_id is hashed. */
    public String canonicalConfig() { return Canonical.json(this, FIELDS); }

    public Normalization normalization() {
        return new Normalization(input.normMean().stream().mapToDouble(Double::doubleValue).toArray(),
                input.normStd().stream().mapToDouble(Double::doubleValue).toArray());
    }

    public Augmentation augmentation() { return new Augmentation(input.cropPadding(), input.flip()); }

    /** What the runtime trains (throws IllegalArgumentException for settings it cannot train). */
    public TrainConfig trainConfig() {
        return new TrainConfig(model, precision, pool, reluAlpha, optimizer, training.schedule(), training.lr(),
                training.batchSize(), training.testBatchSize(), training.epochs(), seed, normalization(),
                augmentation(), training.microBatch());
    }

    public RunSpec withLr(double lr) {
        Training t = new Training(lr, training.batchSize(), training.testBatchSize(), training.epochs(),
                training.schedule(), training.microBatch());
        return new RunSpec(data, model, input, optimizer, precision, pool, reluAlpha, t, device, devicesPerRun,
                reproducibility, seed);
    }

    public RunSpec withEpochsAndSeed(int epochs, long newSeed) {
        Training t = new Training(training.lr(), training.batchSize(), training.testBatchSize(), epochs,
                training.schedule(), training.microBatch());
        return new RunSpec(data, model, input, optimizer, precision, pool, reluAlpha, t, device, devicesPerRun,
                reproducibility, newSeed);
    }

    /** A short human label for logs: "lenet5 fp16 beta:1000/composite sgd lr=0.01 seed=0". */
    public String label() {
        return data.dataset() + " " + model.network().id() + (model.batchNorm() ? "+bn" : "") + " " + precision.id()
                + " " + pool + " " + optimizer.kind().id() + " lr=" + Canonical.number(training.lr()) + " seed=" + seed;
    }
}
