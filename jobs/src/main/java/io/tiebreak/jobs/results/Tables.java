package io.tiebreak.jobs.results;

import java.sql.Timestamp;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The result tables of docs/design.md ("Results"), declared once. Every row carries the run's id, the grid that asked for
 * it and every config column. NaN metrics stay NaN (a diverged loss is data); absent values are null.
 */
public final class Tables {
    private Tables() {}

    /** A result table: its folder under the results root and its schema. */
    public enum Table {
        RUNS, EPOCHS, LR_TRIALS, ZONES;

        public String id() { return name().toLowerCase(Locale.ROOT); }

        /** The schema, or null while the table is only reserved. */
        public StructType schema() {
            switch (this) {
                case RUNS: return Tables.RUNS.schema();
                case EPOCHS: return Tables.EPOCHS.schema();
                case LR_TRIALS: return Tables.LR_TRIALS.schema();
                case ZONES: return Tables.ZONES.schema();
                default: return null;
            }
        }
    }

    /** An epoch of a run, for the epochs table. */
    public record EpochOf(RunOutcome run, EpochRow epoch) {}

    private static Integer epochOrNull(int e) { return e < 0 ? null : e; }

    public static final Columns<RunOutcome> RUNS = new Columns<RunOutcome>()
            .add("run_id", DataTypes.StringType, RunOutcome::runId)
            .add("grid", DataTypes.StringType, RunOutcome::grid)
            .add("attempt", DataTypes.IntegerType, RunOutcome::attempt)
            .config(RunOutcome::spec)
            .add("config_id", DataTypes.StringType, o -> o.spec().configId())
            .add("status", DataTypes.StringType, o -> o.status().id())
            .add("reason", DataTypes.StringType, RunOutcome::reason)
            .add("diverged_epoch", DataTypes.IntegerType, o -> epochOrNull(o.divergedEpoch()))
            .add("epochs_done", DataTypes.IntegerType, RunOutcome::epochsDone)
            .add("final_test_accuracy", DataTypes.DoubleType, RunOutcome::finalTestAccuracy)
            .add("last_finite_test_accuracy", DataTypes.DoubleType, RunOutcome::lastFiniteTestAccuracy)
            .add("best_test_accuracy", DataTypes.DoubleType, RunOutcome::bestTestAccuracy)
            .add("final_test_loss", DataTypes.DoubleType, o -> last(o).map(EpochRow::testLoss).orElse(Double.NaN))
            .add("final_train_loss", DataTypes.DoubleType, o -> last(o).map(EpochRow::trainLoss).orElse(Double.NaN))
            .add("final_train_accuracy", DataTypes.DoubleType,
                    o -> last(o).map(EpochRow::trainAccuracy).orElse(Double.NaN))
            .add("seconds", DataTypes.DoubleType, RunOutcome::seconds)
            .add("train_seconds", DataTypes.DoubleType, RunOutcome::trainSeconds)
            .add("device_used", DataTypes.StringType, RunOutcome::device)
            .add("executor", DataTypes.StringType, RunOutcome::executor)
            .add("host", DataTypes.StringType, RunOutcome::host)
            .add("started_at", DataTypes.TimestampType, o -> new Timestamp(o.startedAtMillis()))
            .add("finished_at", DataTypes.TimestampType, o -> new Timestamp(o.finishedAtMillis()))
            .add("tiebreak_version", DataTypes.StringType, o -> o.versions().tiebreak())
            .add("spark_version", DataTypes.StringType, o -> o.versions().spark())
            .add("java_version", DataTypes.StringType, o -> o.versions().java())
            .add("backend", DataTypes.StringType, o -> o.versions().backend())
            .add("cpu", DataTypes.StringType, o -> o.versions().cpu())
            .add("weights_sha256", DataTypes.StringType, o -> o.digest() == null ? null : o.digest().weights())
            .add("optimizer_sha256", DataTypes.StringType, o -> o.digest() == null ? null : o.digest().optimizer())
            .add("config_json", DataTypes.StringType, o -> o.spec().canonicalConfig());

    public static final Columns<EpochOf> EPOCHS = new Columns<EpochOf>()
            .add("run_id", DataTypes.StringType, e -> e.run().runId())
            .add("grid", DataTypes.StringType, e -> e.run().grid())
            .config(e -> e.run().spec())
            .add("epoch", DataTypes.IntegerType, e -> e.epoch().epoch())
            .add("train_loss", DataTypes.DoubleType, e -> e.epoch().trainLoss())
            .add("train_accuracy", DataTypes.DoubleType, e -> e.epoch().trainAccuracy())
            .add("test_loss", DataTypes.DoubleType, e -> e.epoch().testLoss())
            .add("test_accuracy", DataTypes.DoubleType, e -> e.epoch().testAccuracy())
            .add("epoch_lr", DataTypes.DoubleType, e -> e.epoch().lr())
            .add("seconds", DataTypes.DoubleType, e -> e.epoch().seconds())
            .add("non_finite_steps", DataTypes.LongType, e -> e.epoch().nonFiniteSteps())
            .add("grad_norm", DataTypes.DoubleType, e -> e.epoch().gradNorm())
            .add("loss_scale", DataTypes.DoubleType, e -> e.epoch().lossScale());

    public static final Columns<TrialOutcome> LR_TRIALS = new Columns<TrialOutcome>()
            .add("config_id", DataTypes.StringType, TrialOutcome::configId)
            .add("kind", DataTypes.StringType, TrialOutcome::kind)
            .add("trial", DataTypes.IntegerType, TrialOutcome::trial)
            .add("run_id", DataTypes.StringType, t -> t.run().runId())
            .add("grid", DataTypes.StringType, t -> t.run().grid())
            .config(t -> t.run().spec())
            .add("sampler", DataTypes.StringType, TrialOutcome::sampler)
            .add("status", DataTypes.StringType, t -> t.run().status().id())
            .add("reason", DataTypes.StringType, t -> t.run().reason())
            .add("pruned_epoch", DataTypes.IntegerType, t -> epochOrNull(t.prunedEpoch()))
            .add("epochs_done", DataTypes.IntegerType, t -> t.run().epochsDone())
            .add("objective", DataTypes.DoubleType, TrialOutcome::objective)
            .add("epoch_test_accuracy", DataTypes.createArrayType(DataTypes.DoubleType, false),
                    t -> t.run().epochs().stream().map(EpochRow::testAccuracy).toList())
            .add("seconds", DataTypes.DoubleType, t -> t.run().seconds())
            .add("device_used", DataTypes.StringType, t -> t.run().device())
            .add("finished_at", DataTypes.TimestampType, t -> new Timestamp(t.run().finishedAtMillis()));

    /**
     * One row per minibatch of a zones configuration (docs/design.md, "Zones"): zone_id (hash of the configuration), the
     * grid that asked, every config column, then the measurement. Arrays follow the network's order: pools and their
     * tie counts (windows with k >= 2) at the working precision and at fp64; layers and their share of the L1
     * difference. fp64 norms are null where the working precision agreed (nothing was recomputed).
     */
    public static final Columns<ZoneRow> ZONES = new Columns<ZoneRow>()
            .add("zone_id", DataTypes.StringType, ZoneRow::zoneId)
            .add("grid", DataTypes.StringType, ZoneRow::grid)
            .zoneConfig(ZoneRow::spec)
            .add("minibatch", DataTypes.IntegerType, ZoneRow::minibatch)
            .add("zone", DataTypes.StringType, r -> r.zone().id())
            .add("l1", DataTypes.DoubleType, ZoneRow::l1)
            .add("linf", DataTypes.DoubleType, ZoneRow::linf)
            .add("l1_fp64", DataTypes.DoubleType, ZoneRow::l1Fp64)
            .add("linf_fp64", DataTypes.DoubleType, ZoneRow::linfFp64)
            .add("loss", DataTypes.DoubleType, ZoneRow::loss)
            .add("pools", DataTypes.createArrayType(DataTypes.StringType, false), ZoneRow::pools)
            .add("ties", DataTypes.createArrayType(DataTypes.LongType, false), ZoneRow::ties)
            .add("ties_fp64", DataTypes.createArrayType(DataTypes.LongType, false), ZoneRow::tiesFp64)
            .add("ties_total", DataTypes.LongType, ZoneRow::tiesTotal)
            .add("ties_fp64_total", DataTypes.LongType, ZoneRow::tiesFp64Total)
            .add("layers", DataTypes.createArrayType(DataTypes.StringType, false), ZoneRow::layers)
            .add("layer_share", DataTypes.createArrayType(DataTypes.DoubleType, false), ZoneRow::layerShare)
            .add("seconds", DataTypes.DoubleType, ZoneRow::seconds)
            .add("device_used", DataTypes.StringType, ZoneRow::device)
            .add("config_json", DataTypes.StringType, r -> r.spec().canonicalConfig());

    private static java.util.Optional<EpochRow> last(RunOutcome o) {
        List<EpochRow> e = o.epochs();
        return e.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(e.get(e.size() - 1));
    }
}
