package io.tiebreak.jobs.zones;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.fs.Redaction;
import io.tiebreak.jobs.fs.SerializableConf;
import io.tiebreak.jobs.grid.Device;
import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.ZonePlanner;
import io.tiebreak.jobs.gridjob.DataCatalog;
import io.tiebreak.jobs.gridjob.GridSessions;
import io.tiebreak.jobs.gridjob.HadoopCheckpoints;
import io.tiebreak.jobs.progress.SweepProgress;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Tables;
import io.tiebreak.jobs.results.WaveCommitter;
import io.tiebreak.jobs.results.ZoneRow;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.SimpleFutureAction;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction0;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * {@code tiebreak zones}: every configuration of a zones grid, its minibatches cut into ranges of at most
 * {@code minibatchesPerTask}, one Spark task per range; each task rebuilds the configuration's weights and measures
 * its range ({@link ZoneExecutor}). Rows reach the zones table in waves through the sweep's commit protocol (one
 * atomic write per table and wave, never repeated); minibatches already committed are not measured again, so a
 * re-run does only what is missing (an interrupted job, or a grid that asks for more minibatches).
 */
public final class ZonesJob {
    private static final Logger LOG = LoggerFactory.getLogger(ZonesJob.class);

    /** Checkpoints missing from the results that a message lists at most. */
    static final int MAX_LISTED_MISSING = 5;

    /**
     * @param minibatchesPerTask the largest range one task measures
     * @param waveMillis         commit measured minibatches at least this often
     * @param waveTasks          or as soon as this many tasks' rows are waiting
     */
    public record Options(String results, String data, boolean force, int minibatchesPerTask, long waveMillis,
                          int waveTasks, PrintStream out) {
        public Options {
            if (minibatchesPerTask < 1) throw new UserError("--minibatches-per-task must be at least 1");
        }
    }

    /**
     * What a zones job did: its plan, minibatches done before and now, and one line per distinct bad input its tasks
     * met (naming the file; those tasks measured nothing). The command prints the table.
     */
    public record Result(ZonePlanner.Plan plan, long skipped, long measured, List<String> badInput, int tasks, int waves,
                         double seconds) {
        public Result {
            badInput = List.copyOf(badInput);
        }

        public int configurations() { return plan.configs().size(); }

        public long planned() { return plan.minibatches(); }
    }

    /** The plan against the results folder: lr-search's choices, datasets from the data root. */
    static ZonePlanner.Plan plan(SparkSession spark, Grid grid, String results, String data, boolean force) {
        ResultStore store = new ResultStore(spark, results);
        Map<String, Double> bestLrs = store.bestLrs();
        return ZonePlanner.plan(grid, new DataCatalog(data, spark.sparkContext().hadoopConfiguration()),
                id -> bestLrs.containsKey(id) ? OptionalDouble.of(bestLrs.get(id)) : OptionalDouble.empty(), force);
    }

    public static Result run(SparkSession spark, Grid grid, Options o) throws IOException {
        long t0 = System.nanoTime();
        ResultStore store = new ResultStore(spark, o.results());
        ZonePlanner.Plan plan = plan(spark, grid, o.results(), o.data(), o.force());

        Map<String, BitSet> done = store.zoneMinibatches();
        List<ZoneTask> tasks = new ArrayList<>();
        long skipped = 0;
        for (ZonePlanner.Config c : plan.configs()) {
            BitSet have = done.getOrDefault(c.spec().zoneId(), new BitSet());
            skipped += have.get(0, c.minibatches()).cardinality();
            tasks.addAll(tasks(grid.name(), c, have, o, store, spark.sparkContext().hadoopConfiguration()));
        }
        requireCheckpoints(tasks, spark.sparkContext().hadoopConfiguration());
        long toMeasure = tasks.stream().mapToLong(ZoneTask::minibatches).sum();
        o.out().printf("%s: %d configurations, %d minibatches%s; %d done before, %d to measure in %d tasks%n",
                grid.name(), plan.configs().size(), plan.minibatches(), plan.duplicatesMerged() > 0
                        ? " (" + plan.duplicatesMerged() + " duplicate configurations merged)" : "",
                skipped, toMeasure, tasks.size());
        GridSessions.requireGpuScheduling(spark, tasks.stream().anyMatch(t -> t.spec().device() == Device.GPU));
        Map<String, Set<String>> splits = new java.util.TreeMap<>();
        for (ZoneTask t : tasks) splits.computeIfAbsent(t.spec().dataset(), k -> new java.util.TreeSet<>()).add(t.spec().trainSplit());
        new DataCatalog(o.data(), spark.sparkContext().hadoopConfiguration()).requireShards(splits);
        if (!tasks.isEmpty()) {
            o.out().println(ZoneMemory.check(tasks.stream().map(ZoneTask::spec).toList(), ZoneMemory.perSlot(
                    spark.sparkContext().getConf(), spark.sparkContext().master(), spark.sparkContext().defaultParallelism())));
        }
        Set<String> badInput = java.util.Collections.synchronizedSet(new java.util.LinkedHashSet<>());
        int waves = tasks.isEmpty() ? 0 : execute(spark, store, tasks, toMeasure, o, badInput);
        return new Result(plan, skipped, toMeasure, List.copyOf(badInput), tasks.size(), waves, (System.nanoTime() - t0) / 1e9);
    }

    /** The missing minibatches of a configuration as ranges of at most minibatchesPerTask. */
    static List<ZoneTask> tasks(String grid, ZonePlanner.Config c, BitSet have, Options o, ResultStore store,
                                Configuration conf) throws IOException {
        String dataset = DataCatalog.datasetPath(o.data(), c.spec().dataset());
        String checkpoint = null, runConfig = null;
        if (c.spec().fromCheckpoint() && have.nextClearBit(0) < c.minibatches()) {
            Path runDir = new Path(store.checkpointDir(), c.run().runId());
            int epoch = c.spec().weightsEpoch();
            checkpoint = HadoopCheckpoints.find(runDir, epoch, conf).orElse(HadoopCheckpoints.file(runDir, epoch)).toString();
            runConfig = c.run().trainConfig().canonical();
        }
        List<ZoneTask> out = new ArrayList<>();
        int i = have.nextClearBit(0);
        while (i < c.minibatches()) {
            int end = Math.min(c.minibatches(), have.nextSetBit(i) < 0 ? Integer.MAX_VALUE : have.nextSetBit(i));
            for (int from = i; from < end; from += o.minibatchesPerTask()) {
                out.add(new ZoneTask(grid, c.spec(), from, Math.min(end, from + o.minibatchesPerTask()), dataset,
                        checkpoint, runConfig));
            }
            i = have.nextClearBit(end);
        }
        return out;
    }

    /** Checkpoint weights must exist before anything runs; say which are missing and how to get them. */
    static void requireCheckpoints(List<ZoneTask> tasks, Configuration conf) throws IOException {
        Map<String, ZoneTask> byFile = new LinkedHashMap<>();
        for (ZoneTask t : tasks) if (t.checkpoint() != null) byFile.putIfAbsent(t.checkpoint(), t);
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, ZoneTask> e : byFile.entrySet()) {
            if (!HadoopFs.exists(new Path(e.getKey()), conf)) {
                missing.add(Redaction.uri(e.getKey()) + " (run " + e.getValue().spec().sourceRunId() + ", epoch "
                        + e.getValue().spec().weightsEpoch() + ")");
            }
        }
        if (missing.isEmpty()) return;
        throw new UserError(missing.size() + " checkpoint" + (missing.size() == 1 ? " is" : "s are")
                + " missing:\n  " + String.join("\n  ", missing.subList(0, Math.min(MAX_LISTED_MISSING, missing.size())))
                + (missing.size() > MAX_LISTED_MISSING ? "\n  ... and " + (missing.size() - MAX_LISTED_MISSING) + " more" : "")
                + "\nzones along training read the checkpoints of the sweep run the grid describes: train it with"
                + " tiebreak sweep on the same grid axes and the same --results, with 'checkpoints: all' in the sweep"
                + " grid (otherwise a run keeps only its last epoch)");
    }

    private static int execute(SparkSession spark, ResultStore store, List<ZoneTask> tasks, long total, Options o,
                               Set<String> badInput) {
        SparkContext sc = spark.sparkContext();
        String group = "tiebreak-zones-" + UUID.randomUUID();
        LongAccumulator measured = sc.longAccumulator("tiebreak.zones.minibatches");
        Broadcast<SerializableConf> conf = new JavaSparkContext(sc).broadcast(new SerializableConf(sc.hadoopConfiguration()));
        Progress progress = new Progress(total, o.out());
        MinibatchListener listener = new MinibatchListener(measured.id(), progress);
        sc.addSparkListener(listener);
        WaveCommitter committer = new WaveCommitter(store, Set.of(), o.waveMillis(), o.waveTasks(), n -> { });
        Runnable onExit = () -> {
            sc.cancelJobGroup(group, "interrupted");
            committer.close();
        };
        ResultStore.prepareForCommitsAtShutdown();
        ShutdownHookManager.get().addShutdownHook(onExit, 100, 120, TimeUnit.SECONDS);
        try {
            RDD<ZoneTask> rdd = sc.parallelize(CollectionConverters.asScala(tasks).toSeq(), tasks.size(),
                    ClassTag$.MODULE$.apply(ZoneTask.class));
            List<Object> partitions = new ArrayList<>();
            for (int i = 0; i < tasks.size(); i++) partitions.add(i);
            sc.setJobGroup(group, "tiebreak zones: " + tasks.size() + " tasks", true);
            SimpleFutureAction<BoxedUnit> job;
            try {
                job = sc.submitJob(rdd, new Measure(conf, measured), CollectionConverters.asScala(partitions).toSeq(),
                        new Deliver(chunk -> {
                            if (chunk.badInput() != null) {
                                if (badInput.add(chunk.badInput())) o.out().println("bad input: " + chunk.badInput());
                                return;
                            }
                            List<Row> rows = new ArrayList<>(chunk.rows().size());
                            for (ZoneRow r : chunk.rows()) rows.add(Tables.ZONES.row(r));
                            committer.offer(Tables.Table.ZONES, rows);
                            progress.measured(chunk);
                        }), new Done());
            } finally {
                sc.clearJobGroup();
            }
            try {
                job.get();
            } catch (Exception e) {
                throw new IllegalStateException("the zones job failed: " + rootMessage(e) + " (minibatches measured"
                        + " before are committed; re-run the zones job to measure the others)", e);
            } finally {
                committer.close();
            }
        } finally {
            sc.removeSparkListener(listener);
            try {
                ShutdownHookManager.get().removeShutdownHook(onExit);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting: the hook is running or has run
            }
        }
        progress.end();
        store.maintain();
        return committer.waves();
    }

    /**
     * A line as minibatches are measured (at most every few seconds), with the rate and what is left: committed
     * tasks' minibatches plus those that running tasks report in executor heartbeats, one minibatch at a time.
     */
    static final class Progress {
        private final long total;
        private final PrintStream out;
        private final long started = System.nanoTime();
        private final AtomicLong done = new AtomicLong();
        private final Map<Long, Long> running = new java.util.concurrent.ConcurrentHashMap<>();
        private long lastPrinted;
        private long lastShown;

        Progress(long total, PrintStream out) {
            this.total = total;
            this.out = out;
        }

        synchronized void measured(ZoneExecutor.Chunk chunk) {
            done.addAndGet(chunk.rows().size());
            show();
        }

        /** A running task has measured this many minibatches so far (from a heartbeat). */
        synchronized void running(long taskId, long minibatches) {
            running.put(taskId, minibatches);
            show();
        }

        synchronized void taskEnded(long taskId) { running.remove(taskId); }

        private void show() {
            long n = Math.min(total, done.get() + running.values().stream().mapToLong(Long::longValue).sum());
            long now = System.nanoTime();
            if (n == lastShown || (n < total && now - lastPrinted < TimeUnit.SECONDS.toNanos(5))) return;
            lastPrinted = now;
            lastShown = n;
            double s = (now - started) / 1e9, rate = n / s;
            out.printf(Locale.ROOT, "zones: %d/%d minibatches (%.0f%%), %.3f per second, %s left%n", n, total,
                    100.0 * n / total, rate, SweepProgress.duration((total - n) / rate));
        }

        void end() {
            out.printf(Locale.ROOT, "zones: %d minibatches measured in %s%n", done.get(),
                    SweepProgress.duration((System.nanoTime() - started) / 1e9));
        }
    }

    /** Brings each running task's minibatch counter (an accumulator, sent with executor heartbeats) to the progress. */
    static final class MinibatchListener extends org.apache.spark.scheduler.SparkListener {
        private final long accumulatorId;
        private final Progress progress;

        MinibatchListener(long accumulatorId, Progress progress) {
            this.accumulatorId = accumulatorId;
            this.progress = progress;
        }

        @Override
        public void onExecutorMetricsUpdate(org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate update) {
            for (var t : CollectionConverters.asJava(update.accumUpdates())) {
                for (org.apache.spark.scheduler.AccumulableInfo info : CollectionConverters.asJava(t._4())) {
                    if (info.id() == accumulatorId && info.update().isDefined() && info.update().get() instanceof Number n) {
                        progress.running((Long) t._1(), n.longValue());
                    }
                }
            }
        }

        @Override
        public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
            progress.taskEnded(end.taskInfo().taskId());
        }
    }

    /** The task: measure the partition's one range. */
    private static final class Measure extends AbstractFunction1<scala.collection.Iterator<ZoneTask>, ZoneExecutor.Chunk>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Broadcast<SerializableConf> conf;
        private final LongAccumulator measured;

        Measure(Broadcast<SerializableConf> conf, LongAccumulator measured) {
            this.conf = conf;
            this.measured = measured;
        }

        @Override
        public ZoneExecutor.Chunk apply(scala.collection.Iterator<ZoneTask> it) {
            ZoneTask task = it.next();
            if (it.hasNext()) throw new IllegalStateException("a zones task holds exactly one range");
            LongAccumulator acc = measured;
            return ZoneExecutor.execute(task, conf.value().get(), () -> {
                TaskContext tc = TaskContext.get();
                if (tc != null) tc.killTaskIfInterrupted();
                acc.add(1);
            });
        }
    }

    private static final class Deliver extends AbstractFunction2<Object, ZoneExecutor.Chunk, BoxedUnit> {
        private final java.util.function.Consumer<ZoneExecutor.Chunk> onChunk;

        Deliver(java.util.function.Consumer<ZoneExecutor.Chunk> onChunk) { this.onChunk = onChunk; }

        @Override
        public BoxedUnit apply(Object index, ZoneExecutor.Chunk chunk) {
            onChunk.accept(chunk);
            return BoxedUnit.UNIT;
        }
    }

    private static final class Done extends AbstractFunction0<BoxedUnit> {
        @Override public BoxedUnit apply() { return BoxedUnit.UNIT; }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
