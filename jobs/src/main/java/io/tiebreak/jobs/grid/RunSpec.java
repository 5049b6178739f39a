package io.tiebreak.jobs.grid;

import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.optim.Schedule;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.train.TrainConfig;
import java.io.Serializable;
import java.util.List;
import java.util.function.Function;

/**
 * One training run, every setting resolved (dataset shape and defaults filled in, lr: best replaced by its value).
 * Flat and serializable so it travels to executors as is, and so each field is one column of every result row.
 * {@link #FIELDS} lists the fields once: result schemas, the canonical config and {@link #runId()} all come from it.
 */
public record RunSpec(
        String dataset, String trainSplit, String testSplit, int trainSubset, int testSubset,
        int channels, int height, int width, int classes, List<Double> normMean, List<Double> normStd,
        int cropPadding, boolean flip,
        ModelSpec.Network network, boolean batchNorm,
        OptimizerSpec.Kind optimizer, double momentum, double dampening, double weightDecay, boolean nesterov,
        double beta1, double beta2, double eps,
        Precision precision, PoolPolicy.Kind poolKind, double beta, PoolPolicy.Form poolForm, double reluAlpha,
        double lr, int batchSize, int testBatchSize, int epochs,
        Schedule.Kind schedule, int stepSize, double gamma, double etaMin,
        Device device, long seed) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Bumped when the meaning of a field changes, so old and new runs never share a run_id. */
    public static final int CANONICAL_VERSION = 1;

    public RunSpec {
        normMean = List.copyOf(normMean);
        normStd = List.copyOf(normStd);
    }

    /** How a field is stored in result tables. */
    public enum Kind { STRING, INT, LONG, DOUBLE, BOOLEAN, DOUBLE_LIST }

    /**
     * A config field: its column name, type, value, and the role it plays. {@code identity} fields make the run_id;
     * the configuration id (what lr-search chooses an lr for) leaves out lr, seed, epochs and device.
     */
    public record Field(String name, Kind kind, Function<RunSpec, Object> value, boolean identity,
                        boolean configuration) {}

    private static Field f(String name, Kind kind, Function<RunSpec, Object> value) {
        return new Field(name, kind, value, true, true);
    }

    private static Field notInConfig(String name, Kind kind, Function<RunSpec, Object> value) {
        return new Field(name, kind, value, true, false);
    }

    /** Every config column, in table order. */
    public static final List<Field> FIELDS = List.of(
            f("dataset", Kind.STRING, RunSpec::dataset),
            f("train_split", Kind.STRING, RunSpec::trainSplit),
            f("test_split", Kind.STRING, RunSpec::testSplit),
            f("train_subset", Kind.INT, RunSpec::trainSubset),
            f("test_subset", Kind.INT, RunSpec::testSubset),
            f("channels", Kind.INT, RunSpec::channels),
            f("height", Kind.INT, RunSpec::height),
            f("width", Kind.INT, RunSpec::width),
            f("classes", Kind.INT, RunSpec::classes),
            f("norm_mean", Kind.DOUBLE_LIST, RunSpec::normMean),
            f("norm_std", Kind.DOUBLE_LIST, RunSpec::normStd),
            f("crop_padding", Kind.INT, RunSpec::cropPadding),
            f("flip", Kind.BOOLEAN, RunSpec::flip),
            f("network", Kind.STRING, s -> s.network().id()),
            f("batch_norm", Kind.BOOLEAN, RunSpec::batchNorm),
            f("optimizer", Kind.STRING, s -> s.optimizer().id()),
            f("momentum", Kind.DOUBLE, RunSpec::momentum),
            f("dampening", Kind.DOUBLE, RunSpec::dampening),
            f("weight_decay", Kind.DOUBLE, RunSpec::weightDecay),
            f("nesterov", Kind.BOOLEAN, RunSpec::nesterov),
            f("beta1", Kind.DOUBLE, RunSpec::beta1),
            f("beta2", Kind.DOUBLE, RunSpec::beta2),
            f("eps", Kind.DOUBLE, RunSpec::eps),
            f("precision", Kind.STRING, s -> s.precision().id()),
            f("bits", Kind.INT, s -> s.precision().bits()),
            f("pool", Kind.STRING, s -> s.poolPolicy().id()),
            f("beta", Kind.DOUBLE, s -> s.poolKind() == PoolPolicy.Kind.BETA ? Double.valueOf(s.beta()) : null),
            f("pool_form", Kind.STRING, s -> s.poolForm().id()),
            f("relu_alpha", Kind.DOUBLE, RunSpec::reluAlpha),
            notInConfig("lr", Kind.DOUBLE, RunSpec::lr),
            f("batch_size", Kind.INT, RunSpec::batchSize),
            f("test_batch_size", Kind.INT, RunSpec::testBatchSize),
            notInConfig("epochs", Kind.INT, RunSpec::epochs),
            f("schedule", Kind.STRING, s -> s.schedule().id()),
            f("step_size", Kind.INT, RunSpec::stepSize),
            f("gamma", Kind.DOUBLE, RunSpec::gamma),
            f("eta_min", Kind.DOUBLE, RunSpec::etaMin),
            notInConfig("device", Kind.STRING, s -> s.device().id()),
            notInConfig("seed", Kind.LONG, RunSpec::seed));

    /** Stable id of the run: a hash of its canonical config, seed included. */
    public String runId() { return Canonical.hashId(canonicalConfig()); }

    /** Id of the configuration without lr, seed, epochs and device: what lr-search picks an lr for. */
    public String configId() { return Canonical.hashId(Canonical.json(this, FIELDS.stream().filter(Field::configuration).toList())); }

    /** The canonical config (sorted keys, shortest round-tripping numbers), from which the run_id is hashed. */
    public String canonicalConfig() { return Canonical.json(this, FIELDS); }

    public PoolPolicy poolPolicy() {
        return poolKind == PoolPolicy.Kind.BETA ? PoolPolicy.beta(beta, poolForm) : new PoolPolicy(poolKind, 0, poolForm);
    }

    public OptimizerSpec optimizerSpec() {
        return new OptimizerSpec(optimizer, momentum, dampening, weightDecay, nesterov, beta1, beta2, eps);
    }

    public Schedule scheduleSpec() { return new Schedule(schedule, stepSize, gamma, etaMin); }

    public ModelSpec modelSpec() { return new ModelSpec(network, batchNorm, channels, height, width, classes); }

    public Normalization normalization() {
        return new Normalization(normMean.stream().mapToDouble(Double::doubleValue).toArray(),
                normStd.stream().mapToDouble(Double::doubleValue).toArray());
    }

    public Augmentation augmentation() { return new Augmentation(cropPadding, flip); }

    /** What the runtime trains (throws IllegalArgumentException for settings it cannot train). */
    public TrainConfig trainConfig() {
        return new TrainConfig(modelSpec(), precision, poolPolicy(), reluAlpha, optimizerSpec(), scheduleSpec(), lr,
                batchSize, testBatchSize, epochs, seed, normalization(), augmentation());
    }

    public RunSpec withLr(double newLr) {
        return new RunSpec(dataset, trainSplit, testSplit, trainSubset, testSubset, channels, height, width, classes,
                normMean, normStd, cropPadding, flip, network, batchNorm, optimizer, momentum, dampening, weightDecay,
                nesterov, beta1, beta2, eps, precision, poolKind, beta, poolForm, reluAlpha, newLr, batchSize,
                testBatchSize, epochs, schedule, stepSize, gamma, etaMin, device, seed);
    }

    public RunSpec withEpochsAndSeed(int newEpochs, long newSeed) {
        return new RunSpec(dataset, trainSplit, testSplit, trainSubset, testSubset, channels, height, width, classes,
                normMean, normStd, cropPadding, flip, network, batchNorm, optimizer, momentum, dampening, weightDecay,
                nesterov, beta1, beta2, eps, precision, poolKind, beta, poolForm, reluAlpha, lr, batchSize,
                testBatchSize, newEpochs, schedule, stepSize, gamma, etaMin, device, newSeed);
    }

    /** A short human label for logs: "lenet5 fp16 beta:1000/composite sgd lr=0.01 seed=0". */
    public String label() {
        return dataset + " " + network.id() + (batchNorm ? "+bn" : "") + " " + precision.id() + " "
                + poolPolicy() + " " + optimizer.id() + " lr=" + Canonical.number(lr) + " seed=" + seed;
    }
}
