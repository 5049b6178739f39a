package io.tiebreak.jobs.gridjob;

import io.tiebreak.jobs.fs.SerializableConf;
import io.tiebreak.jobs.progress.StepProgress;
import io.tiebreak.jobs.results.RunOutcome;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.spark.SimpleFutureAction;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.util.LongAccumulator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction0;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * Runs training tasks as Spark jobs, one task per run, and hands each run's outcome to the driver the moment its
 * task ends (not when the whole job ends), so results can be committed and reported while the others still train.
 * Spark delivers one result per partition, so a task retried after a lost executor still yields one outcome.
 * Every task adds 1 to the epoch accumulator after each epoch, which executor heartbeats bring to the driver's
 * progress display while the task runs.
 */
public final class RunLauncher {
    private final SparkContext sc;
    private final String jobGroup;
    private final LongAccumulator epochs;
    private final StepProgress steps;
    private final Broadcast<SerializableConf> conf;

    public RunLauncher(SparkContext sc, String jobGroup) {
        this.sc = sc;
        this.jobGroup = jobGroup;
        this.epochs = sc.longAccumulator("tiebreak.epochs");
        this.steps = new StepProgress();
        sc.register(steps, "tiebreak.steps");
        this.conf = new JavaSparkContext(sc).broadcast(new SerializableConf(sc.hadoopConfiguration()));
    }

    /** Id of the accumulator counting epochs, for {@link io.tiebreak.jobs.progress.ProgressListener}. */
    public long epochAccumulatorId() { return epochs.id(); }

    /** Id of the accumulator carrying each task's latest step. */
    public long stepAccumulatorId() { return steps.id(); }

    public String jobGroup() { return jobGroup; }

    /**
     * Submits tasks as one job in this launcher's job group; onResult(index in tasks, outcome) runs on the driver
     * as each task ends. The caller waits on the returned action.
     */
    public SimpleFutureAction<BoxedUnit> submit(List<RunTask> tasks, EpochGate gate, BiConsumer<Integer, RunOutcome> onResult) {
        return submit(tasks, gate, onResult, 0);
    }

    /**
     * As above, for tasks that are runs firstIndex, firstIndex + 1, ... of a larger progress display (lr-search
     * submits one job per trial): {@link io.tiebreak.jobs.progress.ProgressListener} reads it from the job.
     */
    public SimpleFutureAction<BoxedUnit> submit(List<RunTask> tasks, EpochGate gate, BiConsumer<Integer, RunOutcome> onResult,
                                                int firstIndex) {
        RDD<RunTask> rdd = sc.parallelize(CollectionConverters.asScala(tasks).toSeq(), tasks.size(),
                ClassTag$.MODULE$.apply(RunTask.class));
        List<Object> partitions = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) partitions.add(i);
        sc.setJobGroup(jobGroup, "tiebreak: " + tasks.size() + " runs", true);
        sc.setLocalProperty(io.tiebreak.jobs.progress.ProgressListener.FIRST_INDEX, Integer.toString(firstIndex));
        try {
            return sc.submitJob(rdd, new Train(conf, epochs, steps, gate),
                    CollectionConverters.asScala(partitions).toSeq(), new Deliver(onResult), new Done());
        } finally {
            sc.clearJobGroup();
            sc.setLocalProperty(io.tiebreak.jobs.progress.ProgressListener.FIRST_INDEX, null);
        }
    }

    /** Cancels every job of this launcher (running tasks are interrupted; their checkpoints stay). */
    public void cancel(String reason) { sc.cancelJobGroup(jobGroup, reason); }

    /** The task: train the partition's one run. */
    private static final class Train extends AbstractFunction1<scala.collection.Iterator<RunTask>, RunOutcome>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Broadcast<SerializableConf> conf;
        private final LongAccumulator epochs;
        private final StepProgress steps;
        private final EpochGate gate;

        Train(Broadcast<SerializableConf> conf, LongAccumulator epochs, StepProgress steps, EpochGate gate) {
            this.conf = conf;
            this.epochs = epochs;
            this.steps = steps;
            this.gate = gate;
        }

        @Override
        public RunOutcome apply(scala.collection.Iterator<RunTask> it) {
            RunTask task = it.next();
            if (it.hasNext()) throw new IllegalStateException("a training task holds exactly one run");
            return RunExecutor.execute(task, conf.value().get(), m -> {
                TaskContext tc = TaskContext.get();
                if (tc != null) tc.killTaskIfInterrupted();
                epochs.add(1);
                gate.afterEpoch(m);
            }, (epoch, step, of, loss, rate) -> steps.add(new StepProgress.Step(epoch, step, of, loss, rate)));
        }
    }

    private static final class Deliver extends AbstractFunction2<Object, RunOutcome, BoxedUnit> {
        private final BiConsumer<Integer, RunOutcome> onResult;

        Deliver(BiConsumer<Integer, RunOutcome> onResult) { this.onResult = onResult; }

        @Override
        public BoxedUnit apply(Object index, RunOutcome outcome) {
            onResult.accept((Integer) index, outcome);
            return BoxedUnit.UNIT;
        }
    }

    private static final class Done extends AbstractFunction0<BoxedUnit> {
        @Override public BoxedUnit apply() { return BoxedUnit.UNIT; }
    }
}
