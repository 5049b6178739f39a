package io.tiebreak.jobs.grid;

import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Reproducibility;
import java.io.Serializable;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * One zones configuration (docs/design.md, "Zones"), every setting resolved: which minibatches (dataset, split, subset,
 * batch size, seed), which network and weights, at which precision, which two MaxPool Jacobians are compared.
 * Its rows are minibatch 0, 1, ... of the zones job's fixed order (jobs/zones/Minibatches), so the number of
 * minibatches is not part of the configuration: asking for more later extends the same rows.
 *
 * <p>Weights are the initialization drawn from seed ({@code weightsEpoch} and {@code sourceRunId} null), or the
 * checkpoint a sweep run wrote after epoch {@code weightsEpoch} (numbered from 1, as the epochs table counts); that run's
 * settings (lr, optimizer, its own pool policy...) are in the runs table under {@code sourceRunId}. Flat and
 * serializable so it travels to executors, and each field is a column of every zones row ({@link #FIELDS}).
 */
public record ZoneSpec(
        String dataset, String trainSplit, int trainSubset, int channels, int height, int width, int classes,
        List<Double> normMean, List<Double> normStd, ModelSpec.Network network, boolean batchNorm, Precision precision,
        PoolPolicy policyA, PoolPolicy policyB, double reluAlpha, int batchSize, Integer weightsEpoch, String sourceRunId,
        long seed, Device device, Reproducibility reproducibility) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Bumped when the meaning of a field changes, so old and new rows never share a zone_id. */
    public static final int CANONICAL_VERSION = 1;

    public static final String INIT = "init", CHECKPOINT = "checkpoint";

    public ZoneSpec {
        normMean = List.copyOf(normMean);
        normStd = List.copyOf(normStd);
        if ((weightsEpoch == null) != (sourceRunId == null)) {
            throw new IllegalArgumentException("checkpoint weights need both the run and the epoch");
        }
    }

    /**
     * A zones column: its name, type and value; identity columns make the zone_id (device does not). As in
     * {@link RunSpec.Field}, a column added later is left out of the zone_id's text while it holds its legacy value.
     */
    public record Field(String name, RunSpec.Kind kind, Function<ZoneSpec, Object> value, boolean identity,
                        Object legacy) {

        boolean inCanonical(ZoneSpec spec) {
            return identity && (legacy == null || !legacy.equals(value.apply(spec)));
        }
    }

    private static Field f(String name, RunSpec.Kind kind, Function<ZoneSpec, Object> value) {
        return new Field(name, kind, value, true, null);
    }

    /** Every config column of the zones table, in table order. */
    public static final List<Field> FIELDS = List.of(
            f("dataset", RunSpec.Kind.STRING, ZoneSpec::dataset),
            f("train_split", RunSpec.Kind.STRING, ZoneSpec::trainSplit),
            f("train_subset", RunSpec.Kind.INT, ZoneSpec::trainSubset),
            f("channels", RunSpec.Kind.INT, ZoneSpec::channels),
            f("height", RunSpec.Kind.INT, ZoneSpec::height),
            f("width", RunSpec.Kind.INT, ZoneSpec::width),
            f("classes", RunSpec.Kind.INT, ZoneSpec::classes),
            f("norm_mean", RunSpec.Kind.DOUBLE_LIST, ZoneSpec::normMean),
            f("norm_std", RunSpec.Kind.DOUBLE_LIST, ZoneSpec::normStd),
            f("network", RunSpec.Kind.STRING, s -> s.network().id()),
            f("batch_norm", RunSpec.Kind.BOOLEAN, ZoneSpec::batchNorm),
            f("precision", RunSpec.Kind.STRING, s -> s.precision().id()),
            f("bits", RunSpec.Kind.INT, s -> s.precision().bits()),
            // Each policy as its id (PoolPolicy.parse reads it back): first, min-norm, beta:1000/composite.
            f("policy_a", RunSpec.Kind.STRING, s -> s.policyA().id()),
            f("policy_b", RunSpec.Kind.STRING, s -> s.policyB().id()),
            f("relu_alpha", RunSpec.Kind.DOUBLE, ZoneSpec::reluAlpha),
            f("batch_size", RunSpec.Kind.INT, ZoneSpec::batchSize),
            f("weights", RunSpec.Kind.STRING, ZoneSpec::weights),
            f("weights_epoch", RunSpec.Kind.INT, ZoneSpec::weightsEpoch),
            f("source_run_id", RunSpec.Kind.STRING, ZoneSpec::sourceRunId),
            f("seed", RunSpec.Kind.LONG, ZoneSpec::seed),
            new Field("device", RunSpec.Kind.STRING, s -> s.device().id(), false, null),
            new Field("reproducibility", RunSpec.Kind.STRING, s -> s.reproducibility().id(), true,
                    Reproducibility.HOST.id()));

    /** "init" or "checkpoint". */
    public String weights() { return weightsEpoch == null ? INIT : CHECKPOINT; }

    public boolean fromCheckpoint() { return weightsEpoch != null; }

    /** The canonical config (sorted keys, shortest round-tripping numbers), from which the zone_id is hashed. */
    public String canonicalConfig() {
        SortedMap<String, Object> values = new TreeMap<>();
        values.put("table", "zones"); // never equal to a run's canonical config
        for (Field f : FIELDS) if (f.inCanonical(this)) values.put(f.name(), f.value().apply(this));
        return Canonical.json(CANONICAL_VERSION, values);
    }

    /** Stable id of the configuration: a hash of its canonical config. */
    public String zoneId() { return Canonical.hashId(canonicalConfig()); }

    public ModelSpec modelSpec() { return new ModelSpec(network, batchNorm, channels, height, width, classes); }

    public Normalization normalization() {
        return new Normalization(normMean.stream().mapToDouble(Double::doubleValue).toArray(),
                normStd.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** A short human label for logs: "fashion-mnist vgg11 fp16 first|min-norm b128 init seed=0". */
    public String label() {
        return dataset + " " + network.id() + (batchNorm ? "+bn" : "") + " " + precision.id() + " " + policyA + "|"
                + policyB + " b" + batchSize + " " + (weightsEpoch == null ? "init" : "epoch " + weightsEpoch + " of "
                + sourceRunId) + " seed=" + seed;
    }
}
