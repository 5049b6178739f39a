package io.tiebreak.runtime.train;

import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.optim.Schedule;
import io.tiebreak.runtime.precision.Precision;

/** Everything that determines a training run's bits, apart from the data and the backend. */
public record TrainConfig(ModelSpec model, Precision precision, PoolPolicy pool, double reluAlpha,
                          OptimizerSpec optimizer, Schedule schedule, double lr, int batchSize, int testBatchSize,
                          int epochs, long seed, Normalization normalization, Augmentation augmentation) {
    public TrainConfig {
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("lr must be positive, got " + lr);
        if (batchSize <= 0 || testBatchSize <= 0) throw new IllegalArgumentException("batch sizes must be positive");
        if (epochs <= 0) throw new IllegalArgumentException("epochs must be positive, got " + epochs);
        if (!Double.isFinite(reluAlpha)) throw new IllegalArgumentException("relu alpha must be finite");
        if (normalization.channels() != model.inChannels()) {
            throw new IllegalArgumentException("normalization has " + normalization.channels()
                    + " channels, the model takes " + model.inChannels());
        }
    }

    /**
     * A stable text form of every field, in a fixed order: checkpoints record it and refuse to resume under another.
     * Doubles print in Java's shortest round-trip form. The pool is its name, its form a field of its own, as
     * checkpoints written before {@link PoolPolicy#id()} carried the form have it.
     */
    public String canonical() {
        OptimizerSpec o = optimizer;
        return "network=" + model.network().id() + ";batch_norm=" + model.batchNorm()
                + ";input=" + model.inChannels() + "x" + model.height() + "x" + model.width() + ";classes=" + model.classes()
                + ";precision=" + precision.id() + ";pool=" + pool.name() + ";form=" + pool.form().id()
                + ";relu_alpha=" + reluAlpha
                + ";optimizer=" + o.kind().id() + "(momentum=" + o.momentum() + ",dampening=" + o.dampening()
                + ",weight_decay=" + o.weightDecay() + ",nesterov=" + o.nesterov() + ",betas=" + o.beta1() + "/" + o.beta2()
                + ",eps=" + o.eps() + ")"
                + ";schedule=" + schedule.kind().id() + "(step=" + schedule.stepSize() + ",gamma=" + schedule.gamma()
                + ",eta_min=" + schedule.etaMin() + ")"
                + ";lr=" + lr + ";batch=" + batchSize + ";test_batch=" + testBatchSize + ";epochs=" + epochs + ";seed=" + seed
                + ";normalize=" + java.util.Arrays.toString(normalization.mean()) + "/" + java.util.Arrays.toString(normalization.std())
                + ";augment=crop" + augmentation.cropPadding() + (augmentation.horizontalFlip() ? "+flip" : "");
    }
}
