package io.tiebreak.jobs.sweep;

import io.tiebreak.jobs.grid.DatasetInfo;
import io.tiebreak.jobs.grid.Device;
import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.Planner;
import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.jobs.gridjob.DataCatalog;
import io.tiebreak.jobs.gridjob.EpochGate;
import io.tiebreak.jobs.gridjob.GridSessions;
import io.tiebreak.jobs.gridjob.RunLauncher;
import io.tiebreak.jobs.gridjob.RunTask;
import io.tiebreak.jobs.progress.ProgressListener;
import io.tiebreak.jobs.progress.SweepProgress;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.RunOutcome;
import io.tiebreak.jobs.results.Status;
import io.tiebreak.jobs.results.WaveCommitter;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.SimpleFutureAction;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.runtime.BoxedUnit;

/**
 * {@code tiebreak sweep}: every run of a grid as one Spark job, one task per run, results committed to the runs and
 * epochs tables in waves while the job goes on. Runs already completed or diverged are skipped; failed ones are
 * tried again as a new attempt; interrupted ones resume from their last checkpoint. Ctrl-C cancels the job, commits
 * the runs that finished, and leaves the others' checkpoints for the next time.
 */
public final class SweepJob {
    private static final Logger LOG = LoggerFactory.getLogger(SweepJob.class);

    /**
     * @param waveMillis commit finished runs at least this often
     * @param waveRuns   or as soon as this many are waiting
     */
    public record Options(String results, String data, boolean force, long waveMillis, int waveRuns,
                          SweepProgress.Mode progress, PrintStream out) {}

    /**
     * What a sweep did: the grid's runs, how many were skipped as done before, how those run now ended. The
     * command prints it (with {@link Summary#table}): the job writes only its live progress to Options.out.
     */
    public record Result(List<RunSpec> runs, int skipped, Map<Status, Integer> ran, int waves, double seconds) {
        public Result {
            runs = List.copyOf(runs);
        }

        public int planned() { return runs.size(); }

        public int failed() { return ran.getOrDefault(Status.FAILED, 0); }
    }

    public static Result run(SparkSession spark, Grid grid, Options o) throws IOException {
        long t0 = System.nanoTime();
        ResultStore store = new ResultStore(spark, o.results());
        DataCatalog catalog = new DataCatalog(o.data(), spark.sparkContext().hadoopConfiguration());
        Map<String, Double> bestLrs = store.bestLrs();
        Planner.Plan plan = Planner.plan(grid, catalog,
                id -> bestLrs.containsKey(id) ? OptionalDouble.of(bestLrs.get(id)) : OptionalDouble.empty(), o.force());

        Map<String, ResultStore.RunState> states = store.runStates();
        List<RunTask> tasks = new ArrayList<>();
        int skipped = 0, retries = 0;
        for (RunSpec spec : plan.runs()) {
            ResultStore.RunState st = states.get(spec.runId());
            if (st != null && st.status().isFinal()) {
                skipped++;
                continue;
            }
            if (st != null) retries++;
            tasks.add(new RunTask(grid.name(), spec, st == null ? 1 : st.attempts() + 1,
                    DataCatalog.datasetPath(o.data(), spec.data().dataset()),
                    new Path(store.checkpointDir(), spec.runId()).toString(), grid.checkpoints() == Grid.Checkpoints.ALL));
        }
        o.out().printf("%s: %d runs%s; %d done before, %d to run%s%n", grid.name(), plan.runs().size(),
                plan.duplicatesRemoved() > 0 ? " (" + plan.duplicatesRemoved() + " duplicate points merged)" : "",
                skipped, tasks.size(), retries > 0 ? " (" + retries + " failed before, tried again)" : "");
        LOG.info("planned {} runs in {} ({} to run)", plan.runs().size(),
                SweepProgress.duration((System.nanoTime() - t0) / 1e9), tasks.size());
        GridSessions.requireGpuScheduling(spark, tasks.stream().anyMatch(t -> t.spec().device() == Device.GPU));
        tasks.sort(Comparator.comparingDouble((RunTask t) -> -RunCost.of(t.spec(), trainSamples(catalog, t.spec()))));

        Map<Status, Integer> ran = new EnumMap<>(Status.class);
        int waves = 0;
        if (!tasks.isEmpty()) {
            waves = execute(spark, store, tasks, skipped, o, ran, grid.name());
            store.maintain();
        }
        LOG.info("training and commits done after {}", SweepProgress.duration((System.nanoTime() - t0) / 1e9));
        return new Result(plan.runs(), skipped, ran, waves, (System.nanoTime() - t0) / 1e9);
    }

    private static int execute(SparkSession spark, ResultStore store, List<RunTask> tasks, int skipped, Options o,
                               Map<Status, Integer> ran, String title) {
        SparkContext sc = spark.sparkContext();
        RunLauncher launcher = new RunLauncher(sc, "tiebreak-sweep-" + UUID.randomUUID());
        List<String> labels = new ArrayList<>();
        List<Integer> epochs = new ArrayList<>();
        for (RunTask t : tasks) {
            labels.add(t.spec().label());
            epochs.add(t.spec().training().epochs());
        }
        SweepProgress progress = new SweepProgress(title, labels, epochs, skipped, o.progress(), o.out(),
                System::currentTimeMillis, 30_000).start();
        ProgressListener listener = new ProgressListener(launcher.jobGroup(), launcher.epochAccumulatorId(), launcher.stepAccumulatorId(), progress);
        sc.addSparkListener(listener);
        WaveCommitter committer = new WaveCommitter(store, store.runIdsWithEpochs(), o.waveMillis(), o.waveRuns(),
                progress::committed);
        // On Ctrl-C: stop training, commit the runs that finished, before Spark's own hook stops the context.
        java.util.concurrent.atomic.AtomicBoolean interrupted = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable onExit = () -> {
            interrupted.set(true);
            launcher.cancel("interrupted");
            committer.close();
            progress.close();
        };
        ShutdownHookManager.get().addShutdownHook(onExit, 100, 120, TimeUnit.SECONDS);
        try {
            SimpleFutureAction<BoxedUnit> job = launcher.submit(tasks, EpochGate.NONE, (index, outcome) -> {
                synchronized (ran) {
                    ran.merge(outcome.status(), 1, Integer::sum);
                }
                progress.finished(index, outcome);
                committer.offer(outcome);
            });
            try {
                job.get();
            } catch (Exception e) {
                if (interrupted.get()) {
                    throw new Interrupted("sweep interrupted: the runs that finished are committed; re-run it to"
                            + " resume the others from their checkpoints");
                }
                throw new IllegalStateException("the sweep's Spark job failed: " + rootMessage(e)
                        + " (runs that finished are committed; re-run the sweep to resume the others)", e);
            } finally {
                committer.close();
            }
        } finally {
            progress.close();
            sc.removeSparkListener(listener);
            try {
                ShutdownHookManager.get().removeShutdownHook(onExit);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting: the hook is running or has run
            }
        }
        return committer.waves();
    }

    /** The sweep was stopped (Ctrl-C, SIGTERM); said as one line. */
    static final class Interrupted extends RuntimeException {
        Interrupted(String message) { super(message, null, false, false); }

        @Override public String toString() { return getMessage(); }
    }

    private static long trainSamples(DataCatalog catalog, RunSpec s) {
        if (s.data().trainSubset() > 0) return s.data().trainSubset();
        return catalog.find(s.data().dataset()).map(DatasetInfo::splitSizes).map(m -> m.getOrDefault(s.data().trainSplit(), 1L)).orElse(1L);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
