package io.tiebreak.jobs.progress;

import java.io.Serializable;
import java.util.Locale;
import org.apache.spark.util.AccumulatorV2;

/**
 * Where a training task is within its epoch: an accumulator whose value is the task's latest step (latest wins, not
 * a sum). Executor heartbeats bring each running task's value to the driver ({@link ProgressListener}), so the
 * progress shows steps, the last loss and images/s while an epoch runs, not only whole epochs.
 */
public final class StepProgress extends AccumulatorV2<StepProgress.Step, StepProgress.Step> {
    private static final long serialVersionUID = 1L;

    /** One step of a run: its epoch (from 1), the step and steps of that epoch, the step's loss, images/s so far. */
    public record Step(int epoch, long step, long steps, double loss, double imagesPerSecond) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** "epoch 2 step 40/94 loss 0.532 1234 img/s" */
        public String describe() {
            return String.format(Locale.ROOT, "epoch %d step %d/%d loss %.4g %.0f img/s", epoch, step, steps, loss,
                    imagesPerSecond);
        }
    }

    private Step value;

    @Override public boolean isZero() { return value == null; }

    @Override
    public AccumulatorV2<Step, Step> copy() {
        StepProgress c = new StepProgress();
        c.value = value;
        return c;
    }

    @Override public void reset() { value = null; }

    @Override public void add(Step v) { value = v; }

    @Override
    public void merge(AccumulatorV2<Step, Step> other) {
        if (!other.isZero()) value = other.value();
    }

    @Override public Step value() { return value; }
}
