package io.tiebreak.runtime.train;

import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.optim.Schedule;
import io.tiebreak.runtime.precision.Precision;

/**
 * Everything that determines a training run's bits, apart from the data and the backend. {@code microBatch}: the
 * samples per micro-batch that every batch's sums over samples are cut into (docs/design.md, "Data parallelism");
 * the batch size, the default, is one micro-batch per batch. How many devices share the micro-batches changes no
 * bit, so it is not here.
 */
public record TrainConfig(ModelSpec model, Precision precision, PoolPolicy pool, double reluAlpha,
                          OptimizerSpec optimizer, Schedule schedule, double lr, int batchSize, int testBatchSize,
                          int epochs, long seed, Normalization normalization, Augmentation augmentation,
                          int microBatch) {
    public TrainConfig {
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("lr must be positive, got " + lr);
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        if (testBatchSize <= 0) throw new IllegalArgumentException("test batch size must be positive, got " + testBatchSize);
        if (microBatch < 1 || microBatch > batchSize) {
            throw new IllegalArgumentException("micro-batch must be between 1 and the batch size " + batchSize + ", got "
                    + microBatch);
        }
        if (epochs <= 0) throw new IllegalArgumentException("epochs must be positive, got " + epochs);
        if (!Double.isFinite(reluAlpha)) throw new IllegalArgumentException("relu alpha must be finite, got " + reluAlpha);
        if (normalization.channels() != model.inChannels()) {
            throw new IllegalArgumentException("normalization has " + normalization.channels()
                    + " channels, the model takes " + model.inChannels());
        }
    }

    /** A run whose batches are one micro-batch each. */
    public TrainConfig(ModelSpec model, Precision precision, PoolPolicy pool, double reluAlpha, OptimizerSpec optimizer,
                       Schedule schedule, double lr, int batchSize, int testBatchSize, int epochs, long seed,
                       Normalization normalization, Augmentation augmentation) {
        this(model, precision, pool, reluAlpha, optimizer, schedule, lr, batchSize, testBatchSize, epochs, seed,
                normalization, augmentation, batchSize);
    }

    /** This config with batches cut into micro-batches of m samples. */
    public TrainConfig withMicroBatch(int m) {
        return new TrainConfig(model, precision, pool, reluAlpha, optimizer, schedule, lr, batchSize, testBatchSize,
                epochs, seed, normalization, augmentation, m);
    }

    /**
     * A stable text form of every field, in a fixed order: checkpoints record it and refuse to resume under another.
     * Doubles print in Java's shortest round-trip form. The pool is its name, its form a field of its own, as
     * checkpoints written before {@link PoolPolicy#id()} carried the form have it. The micro-batch size appears only
     * when it cuts batches, so checkpoints written before it existed still resume.
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
                + ";augment=crop" + augmentation.cropPadding() + (augmentation.horizontalFlip() ? "+flip" : "")
                + (microBatch < batchSize ? ";micro_batch=" + microBatch : "");
    }
}
