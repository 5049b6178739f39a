package io.tiebreak.jobs.lrsearch;

import static org.apache.spark.sql.functions.col;

import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.LrSearchSettings;
import io.tiebreak.jobs.grid.Planner;
import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.jobs.gridjob.DataCatalog;
import io.tiebreak.jobs.gridjob.EpochGate;
import io.tiebreak.jobs.gridjob.RunLauncher;
import io.tiebreak.jobs.gridjob.RunTask;
import io.tiebreak.jobs.progress.ProgressListener;
import io.tiebreak.jobs.progress.SweepProgress;
import io.tiebreak.jobs.results.EpochRow;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.RunOutcome;
import io.tiebreak.jobs.results.Status;
import io.tiebreak.jobs.results.Tables;
import io.tiebreak.jobs.results.TextTable;
import io.tiebreak.jobs.results.TrialOutcome;
import io.tiebreak.jobs.results.WaveCommitter;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SimpleFutureAction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import scala.runtime.BoxedUnit;

/**
 * {@code tiebreak lr-search <grid>}: for every configuration of the grid (its runs without lr, seed and epochs,
 * policy included), N trials with learning rates drawn log-uniformly or by TPE, each a short training run pruned
 * against the median of completed trials, as the reference study did with Optuna. Configurations search in
 * parallel (one Spark task per trial); within one, trials follow each other, since each proposal and each pruning
 * decision depends on the trials before it. Every trial lands in lr_trials as it finishes, and once a configuration
 * has its N trials, the best completed one is written again with kind "best": what grids with lr: best use.
 * Re-running continues each configuration where it stopped.
 */
public final class LrSearchJob {
    private LrSearchJob() {}

    /** lr of the planned runs before a trial draws its own; never trained (the configuration id leaves lr out). */
    static final double UNDRAWN = 1.0;

    public record Options(String results, String data, boolean force, long waveMillis, SweepProgress.Mode progress,
                          PrintStream out) {}

    /** One trial as the search remembers it. */
    record Trial(int number, double lr, Status status, double objective, double[] curve) {}

    /** The search of one configuration. */
    static final class Search {
        final int index;
        final RunSpec representative;
        final List<Trial> trials = new ArrayList<>();
        /** Trial number of the newest best row written for this configuration, or -1. */
        int bestRowTrial = -1;
        /** This run's trial outcomes, by number (restored trials have only their Trial). */
        final Map<Integer, TrialOutcome> outcomes = new HashMap<>();

        Search(int index, RunSpec representative) {
            this.index = index;
            this.representative = representative;
        }

        String configId() { return representative.configId(); }

        /** The completed trial with the highest objective (the first of equals), or null. */
        Trial best() {
            Trial b = null;
            for (Trial t : trials) {
                if (t.status() == Status.COMPLETED && !Double.isNaN(t.objective())
                        && (b == null || t.objective() > b.objective())) {
                    b = t;
                }
            }
            return b;
        }

        List<Observation> observations() {
            List<Observation> out = new ArrayList<>();
            for (Trial t : trials) if (t.status() != Status.FAILED) out.add(new Observation(t.lr(), t.objective()));
            return out;
        }

        double[][] completedCurves() {
            return trials.stream().filter(t -> t.status() == Status.COMPLETED).map(Trial::curve).toArray(double[][]::new);
        }
    }

    /** The grid's configurations, each with the trials committed before. */
    private static Map<String, Search> searches(ResultStore store, Planner.Plan plan) {
        Map<String, Search> searches = new LinkedHashMap<>();
        for (RunSpec r : plan.runs()) {
            searches.computeIfAbsent(r.configId(), id -> new Search(searches.size(), r));
        }
        restore(store, searches);
        return searches;
    }

    private static Planner.Plan plan(SparkSession spark, Grid grid, Options o) {
        return Planner.plan(grid, new DataCatalog(o.data(), spark.sparkContext().hadoopConfiguration()),
                id -> OptionalDouble.of(UNDRAWN), o.force());
    }

    /** Trials of the searches done so far (at most n per configuration). */
    private static int trialsDone(Map<String, Search> searches, int n) {
        return searches.values().stream().mapToInt(s -> Math.min(n, s.trials.size())).sum();
    }

    /** "random sampler, median pruning" */
    private static String method(LrSearchSettings s) {
        return s.sampler().name().toLowerCase(Locale.ROOT) + " sampler, " + (s.medianPruning() ? "median" : "no")
                + " pruning";
    }

    /** {@code lr-search --dry-run}: the grid checked, its configurations listed with what earlier searches did. */
    public static int dryRun(SparkSession spark, Grid grid, Options o) {
        LrSearchSettings settings = grid.lrSearch();
        ResultStore store = new ResultStore(spark, o.results());
        Planner.Plan plan = plan(spark, grid, o);
        Map<String, Search> searches = searches(store, plan);
        int n = settings.trials(), done = trialsDone(searches, n);
        int epochs = searches.values().stream().mapToInt(s -> trialEpochs(settings, s.representative)).max().orElse(0);
        o.out().print(summary(store, searches, plan.runs()));
        o.out().printf("%s: %d configurations x %d trials of up to %d epoch%s (%s); %d trials done before, %d to run;"
                + " the grid is valid%n", grid.name(), searches.size(), n, epochs, epochs == 1 ? "" : "s",
                method(settings), done, searches.size() * n - done);
        return 0;
    }

    public static int run(SparkSession spark, Grid grid, Options o) {
        LrSearchSettings settings = grid.lrSearch();
        ResultStore store = new ResultStore(spark, o.results());
        Planner.Plan plan = plan(spark, grid, o);
        Map<String, Search> searches = searches(store, plan);
        int n = settings.trials();
        o.out().printf("%s: %d configurations x %d trials (%s); %d trials done before%n", grid.name(),
                searches.size(), n, method(settings), trialsDone(searches, n));

        List<String> labels = new ArrayList<>();
        List<Integer> epochs = new ArrayList<>();
        for (Search s : searches.values()) {
            for (int k = 0; k < n; k++) {
                labels.add(s.representative.label() + " trial " + k);
                epochs.add(trialEpochs(settings, s.representative));
            }
        }
        SweepProgress progress = new SweepProgress(grid.name() + " lr-search", labels, epochs, 0, o.progress(),
                o.out(), System::currentTimeMillis, 30_000).start();
        for (Search s : searches.values()) {
            for (int k = 0; k < Math.min(n, s.trials.size()); k++) progress.skip(s.index * n + k);
        }
        RunLauncher launcher = new RunLauncher(spark.sparkContext(), "tiebreak-lr-search-" + UUID.randomUUID());
        ProgressListener listener = new ProgressListener(launcher.jobGroup(), launcher.epochAccumulatorId(),
                launcher.stepAccumulatorId(), progress);
        spark.sparkContext().addSparkListener(listener);
        LinkedBlockingQueue<Object[]> finished = new LinkedBlockingQueue<>();
        Map<Search, SimpleFutureAction<BoxedUnit>> running = new HashMap<>();
        try (WaveCommitter committer = new WaveCommitter(store, Set.of(), o.waveMillis(), 256, progress::committed)) {
            for (Search s : searches.values()) {
                if (s.trials.size() < n) running.put(s, submit(launcher, grid, settings, o, store, s, finished, progress));
                else writeBest(s, committer);
            }
            while (!running.isEmpty()) {
                Object[] ev = finished.poll(1, TimeUnit.SECONDS);
                if (ev != null) {
                    Search s = (Search) ev[0];
                    RunOutcome outcome = (RunOutcome) ev[1];
                    running.remove(s);
                    record(s, outcome, settings, committer, progress);
                    if (s.trials.size() < n) running.put(s, submit(launcher, grid, settings, o, store, s, finished, progress));
                    else writeBest(s, committer);
                    continue;
                }
                for (Map.Entry<Search, SimpleFutureAction<BoxedUnit>> e : new ArrayList<>(running.entrySet())) {
                    var value = e.getValue().value();
                    if (value.isDefined() && value.get().isFailure() && finished.isEmpty()) {
                        throw new IllegalStateException("an lr-search trial's Spark job failed: "
                                + value.get().failed().get().getMessage()
                                + " (finished trials are committed; re-run to continue)");
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            launcher.cancel("interrupted");
        } finally {
            progress.close();
            spark.sparkContext().removeSparkListener(listener);
        }
        copyRestoredBests(store, searches, n);
        store.maintain();
        o.out().println();
        o.out().print(summary(store, searches, plan.runs()));
        long unfinished = searches.values().stream().filter(s -> s.trials.size() >= n && s.best() == null).count();
        if (unfinished > 0) {
            System.err.println("error: " + unfinished + " configurations have no completed trial, so no best lr (a"
                    + " sweep with lr: best refuses them); widen lr_search.low/high or add trials, and re-run");
            return io.tiebreak.jobs.errors.ExitCodes.FAILURE;
        }
        return 0;
    }

    static int trialEpochs(LrSearchSettings s, RunSpec r) { return s.epochs() > 0 ? s.epochs() : r.training().epochs(); }

    /** Trial k's run: the configuration at the proposed lr, the search's epochs and seed. */
    static RunSpec trialSpec(LrSearchSettings s, Search search, double lr) {
        return search.representative.withLr(lr).withEpochsAndSeed(trialEpochs(s, search.representative), s.seed());
    }

    private static SimpleFutureAction<BoxedUnit> submit(RunLauncher launcher, Grid grid, LrSearchSettings s, Options o,
                                                        ResultStore store, Search search,
                                                        LinkedBlockingQueue<Object[]> finished, SweepProgress progress) {
        int k = search.trials.size();
        double lr = Samplers.propose(s, search.configId(), k, search.observations());
        RunSpec spec = trialSpec(s, search, lr);
        RunTask task = new RunTask(grid.name(), spec, 1, DataCatalog.datasetPath(o.data(), spec.data().dataset()),
                new Path(store.checkpointDir(), spec.runId()).toString(), false);
        EpochGate gate = s.medianPruning()
                ? new MedianPruner(search.completedCurves(), s.prunerStartupTrials(), s.prunerWarmupEpochs())
                : EpochGate.NONE;
        int index = search.index * s.trials() + k;
        progress.started(index);
        return launcher.submit(List.of(task), gate, (i, outcome) -> finished.add(new Object[] {search, outcome}), index);
    }

    private static void record(Search s, RunOutcome o, LrSearchSettings settings, WaveCommitter committer,
                               SweepProgress progress) {
        int k = s.trials.size();
        double[] curve = o.epochs().stream().mapToDouble(EpochRow::testAccuracy).toArray();
        double objective = o.status() == Status.COMPLETED ? o.finalTestAccuracy()
                : o.status() == Status.PRUNED && curve.length > 0 ? curve[curve.length - 1] : Double.NaN;
        s.trials.add(new Trial(k, o.spec().training().lr(), o.status(), objective, curve));
        int prunedAt = o.status() == Status.PRUNED && !o.epochs().isEmpty()
                ? o.epochs().get(o.epochs().size() - 1).epoch() : -1;
        TrialOutcome t = new TrialOutcome(o, s.configId(), k, TrialOutcome.TRIAL,
                settings.sampler().name().toLowerCase(Locale.ROOT), prunedAt, objective);
        s.outcomes.put(k, t);
        committer.offer(t);
        progress.finished(s.index * settings.trials() + k, o);
    }

    /** A finished configuration's best trial as a best row, unless that row exists or the trial was restored. */
    private static void writeBest(Search s, WaveCommitter committer) {
        Trial best = s.best();
        if (best == null || best.number() == s.bestRowTrial) return;
        TrialOutcome t = s.outcomes.get(best.number());
        if (t == null) return; // a trial of an earlier run: copied from its committed row at the end
        committer.offer(t.asBest());
        s.bestRowTrial = best.number();
    }

    /**
     * Best rows for finished configurations whose best trial ran in an earlier run (a search stopped between its
     * last trial and its best row): the committed trial row, copied with kind best.
     */
    static void copyRestoredBests(ResultStore store, Map<String, Search> searches, int n) {
        List<org.apache.spark.sql.Column> picks = new ArrayList<>();
        for (Search s : searches.values()) {
            Trial best = s.best();
            if (s.trials.size() < n || best == null || best.number() == s.bestRowTrial) continue;
            picks.add(col("config_id").equalTo(s.configId()).and(col("trial").equalTo(best.number())));
            s.bestRowTrial = best.number();
        }
        if (picks.isEmpty()) return;
        org.apache.spark.sql.Column any = picks.stream().reduce(org.apache.spark.sql.Column::or).get();
        List<Row> rows = store.read(Tables.Table.LR_TRIALS).filter(col("kind").equalTo(TrialOutcome.TRIAL).and(any))
                .withColumn("kind", org.apache.spark.sql.functions.lit(TrialOutcome.BEST)).collectAsList();
        store.append(Tables.Table.LR_TRIALS, rows);
    }

    /** Rebuilds each configuration's trials (and its best, if written) from the lr_trials table. */
    static void restore(ResultStore store, Map<String, Search> searches) {
        List<Row> rows = store.read(Tables.Table.LR_TRIALS)
                .filter(col("config_id").isin(searches.keySet().toArray()))
                .select("config_id", "kind", "trial", "lr", "status", "objective", "epoch_test_accuracy")
                .orderBy("config_id", "trial", "finished_at").collectAsList();
        for (Row r : rows) {
            Search s = searches.get(r.getString(0));
            if (r.getString(1).equals(TrialOutcome.BEST)) {
                s.bestRowTrial = r.getInt(2);
                continue;
            }
            List<Double> curve = r.getList(6);
            s.trials.add(new Trial(r.getInt(2), r.getDouble(3), Status.parse(r.getString(4)),
                    r.isNullAt(5) ? Double.NaN : r.getDouble(5),
                    curve.stream().mapToDouble(Double::doubleValue).toArray()));
        }
    }

    /** Per configuration: the axes that vary, the chosen lr and its accuracy, and how the trials ended. */
    static String summary(ResultStore store, Map<String, Search> searches, List<RunSpec> runs) {
        List<String> varying = RunSpec.varyingColumns(runs);
        varying.remove("lr");
        varying.remove("epochs");
        List<String> header = new ArrayList<>(varying);
        header.addAll(List.of("trials", "completed", "pruned", "diverged", "failed", "best_lr", "best_test_acc"));
        Map<String, Row> best = new HashMap<>();
        for (Row r : store.read(Tables.Table.LR_TRIALS).filter(col("kind").equalTo(TrialOutcome.BEST))
                .select("config_id", "lr", "objective").collectAsList()) {
            best.put(r.getString(0), r);
        }
        List<List<String>> rows = new ArrayList<>();
        for (Search s : searches.values()) {
            List<String> row = new ArrayList<>();
            for (String c : varying) {
                for (RunSpec.Field f : RunSpec.FIELDS) {
                    if (f.name().equals(c)) row.add(TextTable.cell(f.value().apply(s.representative)));
                }
            }
            row.add(Integer.toString(s.trials.size()));
            for (Status st : List.of(Status.COMPLETED, Status.PRUNED, Status.DIVERGED, Status.FAILED)) {
                row.add(Long.toString(s.trials.stream().filter(t -> t.status() == st).count()));
            }
            Row b = best.get(s.configId());
            row.add(b == null ? "none" : TextTable.cell(b.getDouble(1)));
            row.add(b == null ? "" : TextTable.cell(b.getDouble(2)));
            rows.add(row);
        }
        return TextTable.of(header, rows);
    }
}
