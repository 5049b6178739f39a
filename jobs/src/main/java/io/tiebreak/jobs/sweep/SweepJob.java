package io.tiebreak.jobs.sweep;

import io.tiebreak.jobs.grid.DatasetInfo;
import io.tiebreak.jobs.grid.Device;
import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.Planner;
import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.jobs.gridjob.DataCatalog;
import io.tiebreak.jobs.gridjob.EpochGate;
import io.tiebreak.jobs.gridjob.GridSessions;
import io.tiebreak.jobs.gridjob.HadoopCheckpoints;
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
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
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
 * tried again as a new attempt; interrupted ones resume from their last checkpoint. Before anything trains, the
 * datasets' shards are checked against their manifests (bad input stops the sweep there); a run that meets bad input
 * of its own on an executor (its checkpoint) is reported, not written, and the others go on. Ctrl-C or SIGTERM
 * cancels the job, commits the runs that finished, and says which runs were cancelled and where each resumes.
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
     * What a sweep did: the grid's runs, how many were skipped as done before, how those run now ended, and one
     * line per distinct bad input that runs met (naming the file), those runs being neither trained nor written. The
     * command prints it (with {@link Summary#table}): the job writes only its live progress to Options.out.
     */
    public record Result(List<RunSpec> runs, int skipped, Map<Status, Integer> ran, List<String> badInput, int waves,
                         double seconds) {
        public Result {
            runs = List.copyOf(runs);
            badInput = List.copyOf(badInput);
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
        catalog.requireShards(DataCatalog.splitsOf(tasks.stream().map(RunTask::spec).toList()));
        tasks.sort(Comparator.comparingDouble((RunTask t) -> -RunCost.of(t.spec(), trainSamples(catalog, t.spec()))));

        Map<Status, Integer> ran = new EnumMap<>(Status.class);
        Set<String> badInput = Collections.synchronizedSet(new LinkedHashSet<>());
        int waves = 0;
        if (!tasks.isEmpty()) {
            waves = execute(spark, store, tasks, skipped, o, ran, badInput, grid.name());
            store.maintain();
        }
        LOG.info("training and commits done after {}", SweepProgress.duration((System.nanoTime() - t0) / 1e9));
        return new Result(plan.runs(), skipped, ran, List.copyOf(badInput), waves, (System.nanoTime() - t0) / 1e9);
    }

    private static int execute(SparkSession spark, ResultStore store, List<RunTask> tasks, int skipped, Options o,
                               Map<Status, Integer> ran, Set<String> badInput, String title) {
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
        // On Ctrl-C or SIGTERM: stop training, commit the runs that finished, and say what became of the running ones,
        // before Spark's own hook stops the context.
        java.util.concurrent.atomic.AtomicBoolean interrupted = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable onExit = () -> {
            interrupted.set(true);
            List<Integer> running = progress.running();
            launcher.cancel("interrupted");
            // Said at once: the commit needs a free task slot (a cancelled task ends with its epoch) and takes a while.
            o.out().printf(Locale.ROOT, "sweep interrupted: cancelling %d running run%s (the next sweep of this grid"
                    + " resumes %s from %s last checkpoint); committing the runs that finished%n", running.size(),
                    running.size() == 1 ? "" : "s", running.size() == 1 ? "it" : "them", running.size() == 1 ? "its" : "their");
            o.out().flush();
            RuntimeException notCommitted = null;
            try {
                committer.close();
            } catch (RuntimeException e) {
                notCommitted = e;
            }
            progress.close();
            int finished;
            synchronized (ran) {
                finished = ran.entrySet().stream().filter(e -> e.getKey() != Status.BAD_INPUT).mapToInt(Map.Entry::getValue).sum();
            }
            int committed = committer.committedRuns();
            o.out().print(cancelled(store.checkpointDir(), sc.hadoopConfiguration(), tasks, running, committed));
            if (committed < finished) {
                o.out().printf(Locale.ROOT, "  %d finished run%s not committed (%s): the next sweep of this grid writes"
                        + " %s results from %s checkpoints%n", finished - committed, finished - committed == 1 ? "" : "s",
                        notCommitted == null ? "the commit did not end" : notCommitted.getMessage(),
                        finished - committed == 1 ? "its" : "their", finished - committed == 1 ? "its" : "their");
            }
            o.out().flush();
        };
        ResultStore.prepareForCommitsAtShutdown();
        ShutdownHookManager.get().addShutdownHook(onExit, 100, 120, TimeUnit.SECONDS);
        try {
            List<SimpleFutureAction<BoxedUnit>> jobs = launcher.submitAll(tasks, EpochGate.NONE, (index, outcome) -> {
                synchronized (ran) {
                    ran.merge(outcome.status(), 1, Integer::sum);
                }
                progress.finished(index, outcome);
                if (outcome.status() == Status.BAD_INPUT) badInput.add(outcome.reason());
                else committer.offer(outcome);
            });
            try {
                for (SimpleFutureAction<BoxedUnit> job : jobs) job.get();
            } catch (Exception e) {
                if (interrupted.get()) {
                    throw new Interrupted("sweep interrupted: what was committed and where each cancelled run resumes"
                            + " is said on standard output");
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

    /**
     * What an interrupted sweep tells about the runs it cancelled: each resumes, on the next sweep, from the last
     * checkpoint it wrote (read from the checkpoints folder now), or starts over where it wrote none.
     */
    static String cancelled(Path checkpoints, Configuration conf, List<RunTask> tasks, List<Integer> running, int finished) {
        Map<String, Integer> epochs;
        try {
            epochs = HadoopCheckpoints.epochsDone(checkpoints, running.stream().map(i -> tasks.get(i).spec().runId()).toList(),
                    conf);
        } catch (IOException | RuntimeException e) {
            epochs = Map.of();
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "sweep interrupted: %d finished run%s committed;"
                + " %d running run%s cancelled, to resume on the next sweep of this grid%n", finished,
                finished == 1 ? "" : "s", running.size(), running.size() == 1 ? "" : "s"));
        for (int i : running) {
            RunTask t = tasks.get(i);
            Integer done = epochs.get(t.spec().runId());
            sb.append("  cancelled run ").append(t.spec().runId()).append(' ').append(t.spec().label()).append(": ")
                    .append(done == null ? "no checkpoint yet, it starts over" : DryRun.resumes(done, t.spec().training().epochs())
                            + " from its checkpoint").append(System.lineSeparator());
        }
        return sb.toString();
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
