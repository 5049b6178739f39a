package io.tiebreak.jobs.progress;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Feeds {@link SweepProgress} from Spark's events for the jobs of one job group: a task starting marks its run
 * running, a task ending without success (executor lost, killed) puts it back in the queue, and executor heartbeats
 * carry each running task's epoch counter (an accumulator the training loop adds to after every epoch), so the driver
 * sees epochs while runs are still training. Task index = partition index = the run's position in the sweep.
 */
public final class ProgressListener extends SparkListener {
    private final String jobGroup;
    private final long epochAccumulatorId;
    private final long stepAccumulatorId;
    private final SweepProgress progress;
    /** Job property: the run index of the job's first task (lr-search's one-trial jobs); 0 when absent. */
    public static final String FIRST_INDEX = "tiebreak.firstRunIndex";

    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private final Map<Long, Integer> taskIndex = new ConcurrentHashMap<>();
    /** The run index of each stage's first task, for jobs of a few tasks each (lr-search trials); 0 otherwise. */
    private final Map<Integer, Integer> stageIndex = new ConcurrentHashMap<>();

    public ProgressListener(String jobGroup, long epochAccumulatorId, SweepProgress progress) {
        this(jobGroup, epochAccumulatorId, -1, progress);
    }

    /** @param stepAccumulatorId the {@link StepProgress} accumulator's id (steps within the epoch), or -1 */
    public ProgressListener(String jobGroup, long epochAccumulatorId, long stepAccumulatorId, SweepProgress progress) {
        this.jobGroup = jobGroup;
        this.epochAccumulatorId = epochAccumulatorId;
        this.stepAccumulatorId = stepAccumulatorId;
        this.progress = progress;
    }

    @Override
    public void onJobStart(SparkListenerJobStart jobStart) {
        String group = jobStart.properties() == null ? null : jobStart.properties().getProperty("spark.jobGroup.id");
        if (jobGroup.equals(group)) {
            String first = jobStart.properties().getProperty(FIRST_INDEX);
            for (Object s : CollectionConverters.asJava(jobStart.stageIds())) {
                stages.add((Integer) s);
                if (first != null && !first.equals("0")) stageIndex.put((Integer) s, Integer.parseInt(first));
            }
        }
    }

    private int index(int stageId, int taskIndexInStage) {
        return stageIndex.getOrDefault(stageId, 0) + taskIndexInStage;
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart start) {
        if (!stages.contains(start.stageId())) return;
        int index = index(start.stageId(), start.taskInfo().index());
        taskIndex.put(start.taskInfo().taskId(), index);
        progress.started(index);
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        Integer index = taskIndex.remove(end.taskInfo().taskId());
        if (index != null && !end.taskInfo().successful()) {
            String why = end.reason().getClass().getSimpleName().replace("$", "");
            progress.lost(index, why);
        }
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> t
                : CollectionConverters.asJava(update.accumUpdates())) {
            Integer index = taskIndex.get((Long) t._1());
            if (index == null) continue;
            for (AccumulableInfo info : CollectionConverters.asJava(t._4())) {
                if (info.id() == epochAccumulatorId && info.update().isDefined()) {
                    Object v = info.update().get();
                    if (v instanceof Number) progress.epochs(index, ((Number) v).longValue());
                } else if (info.id() == stepAccumulatorId && info.update().isDefined()
                        && info.update().get() instanceof StepProgress.Step step) {
                    progress.step(index, step);
                }
            }
        }
    }
}
