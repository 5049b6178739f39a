package io.tiebreak.runtime.train;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.data.BatchAssembler;
import io.tiebreak.runtime.data.ImageData;
import io.tiebreak.runtime.models.Model;
import io.tiebreak.runtime.models.Models;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.optim.LossScaler;
import io.tiebreak.runtime.optim.Optimizer;
import io.tiebreak.runtime.precision.Transcendentals;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Trains one run: epochs of shuffled, augmented minibatches, a test evaluation after each, a checkpoint after each
 * (so a restarted run resumes with the same bits as one never stopped), and the metrics of every epoch.
 *
 * <p>Divergence is scored as the reference study scored it (docs/design.md, "Diverged runs"). Its training loop
 * steps whatever the loss, so a non-finite loss or gradient gives NaN weights, which stay NaN to the end, and a NaN
 * network predicts class 0 (NaN counts as the maximum and the first one wins, as torch.max): its final accuracy is
 * the test set's share of class 0 (MNIST 9.8%). Here the non-finite step is applied too, the run stops there
 * (nothing is gained by training NaN weights on) and the network as it stands after that step is evaluated: that
 * evaluation is the diverged epoch's test accuracy and the run's final one. Weights that became non-finite during an
 * epoch end the run the same way at the epoch's end.
 *
 * <p>Under mixed precision a non-finite gradient is the loss scaler's business (the step is skipped and the scale
 * halved, as GradScaler does), not divergence: a mixed run diverges only when its weights become non-finite or when
 * the loss stays non-finite, i.e. no step of a whole epoch could be applied (the network is frozen, as the study's
 * would stay for the rest of its epochs).
 */
public final class Trainer {
    private final TrainConfig cfg;
    private final Backend backend;

    public Trainer(TrainConfig cfg, Backend backend) {
        this.cfg = cfg;
        this.backend = backend;
    }

    /** Mutable progress of a run; everything in it goes into the checkpoint. */
    static final class State {
        final Model model;
        final Optimizer optimizer;
        Rng shuffle;
        Rng augment;
        LossScaler scaler;
        final List<EpochMetrics> epochs = new ArrayList<>();
        double seconds;

        State(Model model, Optimizer optimizer, Rng shuffle, Rng augment, LossScaler scaler) {
            this.model = model;
            this.optimizer = optimizer;
            this.shuffle = shuffle;
            this.augment = augment;
            this.scaler = scaler;
        }
    }

    /** The model with its seeded initial weights and fresh optimizer state. */
    State initialState() {
        Model model = Models.build(cfg.model(), new Context(backend, cfg.precision()), cfg.pool(), cfg.reluAlpha(), cfg.seed());
        Optimizer opt = new Optimizer(cfg.optimizer(), backend, model.trainable());
        return new State(model, opt, Rng.of(cfg.seed(), "shuffle"), Rng.of(cfg.seed(), "augment"),
                cfg.precision().usesLossScaling() ? LossScaler.initial() : null);
    }

    /**
     * Told after every training step: cheap to call (a few fields), so a caller may forward it as it likes.
     *
     * @param epoch           the epoch in progress, numbered from 1
     * @param step            steps done in this epoch
     * @param steps           steps of the epoch
     * @param loss            this step's loss
     * @param imagesPerSecond training images per second over the epoch so far
     */
    public interface StepListener {
        void step(int epoch, long step, long steps, double loss, double imagesPerSecond);

        StepListener NONE = (epoch, step, steps, loss, rate) -> { };
    }

    public RunResult run(ImageData train, ImageData test, CheckpointStore checkpoints, Consumer<EpochMetrics> onEpoch)
            throws IOException {
        return run(train, test, checkpoints, onEpoch, StepListener.NONE);
    }

    public RunResult run(ImageData train, ImageData test, CheckpointStore checkpoints, Consumer<EpochMetrics> onEpoch,
                         StepListener onStep) throws IOException {
        requireMatches(train, "training");
        requireMatches(test, "test");
        long start = System.nanoTime();
        State st = initialState();
        Optional<CheckpointStore.Saved> saved = checkpoints.latest();
        if (saved.isPresent()) Checkpoint.restore(saved.get(), "checkpoint", cfg, st);
        double before = st.seconds;
        for (int epoch = st.epochs.size(); epoch < cfg.epochs(); epoch++) {
            long t0 = System.nanoTime();
            double lr = cfg.schedule().lr(cfg.lr(), epoch, cfg.epochs());
            EpochTrain tr = trainEpoch(st, train, lr, epoch + 1, onStep);
            double[] ev = evaluate(st.model, test);
            EpochMetrics m = new EpochMetrics(epoch + 1, tr.loss, tr.accuracy, ev[0], ev[1], lr,
                    (System.nanoTime() - t0) / 1e9, tr.nonFiniteSteps, tr.gradNorm,
                    st.scaler == null ? 1 : st.scaler.scale());
            st.epochs.add(m);
            st.seconds = before + (System.nanoTime() - start) / 1e9;
            if (tr.divergence != null) {
                onEpoch.accept(m);
                return new RunResult(RunResult.Status.DIVERGED, tr.divergence, st.epochs, st.seconds,
                        StateDigest.of(st.model, st.optimizer));
            }
            checkpoints.save(epoch + 1, Checkpoint.write(cfg, st), Checkpoint.timing(st));
            onEpoch.accept(m);
        }
        return new RunResult(RunResult.Status.COMPLETED, "", st.epochs, before + (System.nanoTime() - start) / 1e9,
                StateDigest.of(st.model, st.optimizer));
    }

    private void requireMatches(ImageData d, String split) {
        var s = cfg.model();
        if (d.channels() != s.inChannels() || d.height() != s.height() || d.width() != s.width()) {
            throw new IllegalArgumentException(split + " data is " + d.channels() + "x" + d.height() + "x" + d.width()
                    + ", the model expects " + s.inChannels() + "x" + s.height() + "x" + s.width());
        }
        if (d.classes() != s.classes()) {
            throw new IllegalArgumentException(split + " data has " + d.classes() + " classes, the model " + s.classes());
        }
        if (d.size() == 0) throw new IllegalArgumentException(split + " data is empty");
    }

    private record EpochTrain(double loss, double accuracy, long nonFiniteSteps, double gradNorm, String divergence) {}

    private EpochTrain trainEpoch(State st, ImageData train, double lr, int epochNumber, StepListener onStep) {
        int b = cfg.batchSize(), per = train.pixelsPerSample();
        BatchAssembler assembler = new BatchAssembler(train.channels(), train.height(), train.width(),
                cfg.normalization(), cfg.augmentation());
        byte[] pixels = new byte[b * per];
        int[] labels = new int[b];
        float[] host = new float[b * per];
        List<Parameter> trainable = st.model.trainable();
        Tensor x = null;
        double lossSum = 0, gradNormSum = 0;
        long correct = 0, seen = 0, nonFinite = 0, applied = 0, step = 0;
        String divergence = null;
        long steps = (train.size() + b - 1) / b;
        long t0 = System.nanoTime();
        try (ImageData.EpochReader reader = train.epoch(st.shuffle, true)) {
            int n;
            while ((n = reader.next(pixels, labels, b)) > 0) {
                assembler.assemble(pixels, n, st.augment, host);
                x = batch(x, n, train, host);
                double scale = st.scaler == null ? 1 : st.scaler.scale();
                Backend.LossResult r = st.model.lossAndGradients(x, n == b ? labels : Arrays.copyOf(labels, n), scale);
                step++;
                lossSum += r.loss() * n;
                correct += r.correct();
                seen += n;
                onStep.step(epochNumber, step, steps, r.loss(), seen / Math.max(1e-9, (System.nanoTime() - t0) / 1e9));
                if (st.scaler != null) {
                    // GradScaler: skip a step whose (scaled) gradients are not finite, whatever the loss says.
                    if (!st.scaler.unscale(backend, trainable)) {
                        nonFinite++;
                        continue;
                    }
                    gradNormSum += globalL2(trainable);
                    applied++;
                    st.optimizer.step(lr);
                    continue;
                }
                double norm = globalL2(trainable);
                String bad = !Double.isFinite(r.loss()) ? "loss became " + r.loss()
                        : !Double.isFinite(norm) ? "gradient became non-finite" : null;
                st.optimizer.step(lr); // also the non-finite step, as the study's loop: the network is scored after it
                if (bad != null) {
                    divergence = bad + " at step " + step + " of the epoch";
                    nonFinite++;
                    break;
                }
                gradNormSum += norm;
                applied++;
            }
        }
        if (divergence == null && !allFinite(st.model.parameters())) {
            divergence = "weights or batch-norm statistics became non-finite";
        }
        if (divergence == null && st.scaler != null && step > 0 && applied == 0) {
            divergence = "no step of the epoch could be applied: all " + step + " had non-finite gradients (loss scale"
                    + " fell to " + st.scaler.scale() + ")";
        }
        return new EpochTrain(lossSum / Math.max(1, seen), (double) correct / Math.max(1, seen), nonFinite,
                applied == 0 ? Double.NaN : gradNormSum / applied, divergence);
    }

    /** The input tensor for a batch of n samples (reused while the batch size stays the same). */
    private Tensor batch(Tensor x, int n, ImageData d, float[] host) {
        int[] shape = {n, d.channels(), d.height(), d.width()};
        if (x == null || !x.hasShape(shape)) x = backend.zeros(cfg.precision(), shape);
        backend.write(x, host.length == x.size() ? host : Arrays.copyOf(host, x.size()));
        return x;
    }

    /** sqrt of the sum over parameters of their squared L2 norms. */
    private double globalL2(List<Parameter> trainable) {
        double sq = 0;
        for (Parameter p : trainable) {
            double l2 = backend.norms(p.grad())[1];
            sq += l2 * l2;
        }
        return Transcendentals.sqrt(sq);
    }

    private boolean allFinite(List<Parameter> params) {
        for (Parameter p : params) if (backend.countNonFinite(p.value()) > 0) return false;
        return true;
    }

    /** {mean loss, accuracy} over a split in eval mode, in index order. */
    double[] evaluate(Model model, ImageData data) {
        int b = cfg.testBatchSize(), per = data.pixelsPerSample();
        BatchAssembler assembler = new BatchAssembler(data.channels(), data.height(), data.width(),
                cfg.normalization(), io.tiebreak.runtime.data.Augmentation.NONE);
        byte[] pixels = new byte[b * per];
        int[] labels = new int[b];
        float[] host = new float[b * per];
        Tensor x = null;
        double lossSum = 0;
        long correct = 0, seen = 0;
        try (ImageData.EpochReader reader = data.epoch(null, false)) {
            int n;
            while ((n = reader.next(pixels, labels, b)) > 0) {
                assembler.assemble(pixels, n, null, host);
                x = batch(x, n, data, host);
                Backend.LossResult r = model.evaluate(x, n == b ? labels : Arrays.copyOf(labels, n));
                lossSum += r.loss() * n;
                correct += r.correct();
                seen += n;
            }
        }
        return new double[] {lossSum / seen, (double) correct / seen};
    }
}
