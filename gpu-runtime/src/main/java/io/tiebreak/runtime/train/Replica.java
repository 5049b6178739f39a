package io.tiebreak.runtime.train;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.models.Model;
import io.tiebreak.runtime.models.Models;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.optim.LossScaler;
import io.tiebreak.runtime.optim.Optimizer;
import io.tiebreak.runtime.parallel.Exchange;
import io.tiebreak.runtime.parallel.MicroBatches;
import io.tiebreak.runtime.parallel.Reduction;
import io.tiebreak.runtime.parallel.Share;
import io.tiebreak.runtime.precision.Transcendentals;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * One device's copy of a run: the model and optimizer, and its part of every training step (docs/design.md, "Data
 * parallelism"). Every device holds the same weights and applies the same update, from gradients summed over the
 * whole batch, so every device decides the same: whether to skip or take the step.
 */
final class Replica {
    /**
     * What a device saw in a step: the batch's loss and correct count, whether its gradients were finite (always
     * true without loss scaling, where a non-finite norm tells), and their L2 norm (NaN when the step stopped early).
     */
    record Step(double loss, int correct, boolean gradientsFinite, double norm) {}

    private final TrainConfig cfg;
    private final int rank, devices;
    final Model model;
    final Optimizer optimizer;
    private Tensor[] inputs;

    /** The model with its seeded initial weights and fresh optimizer state, on device rank of devices. */
    Replica(TrainConfig cfg, Backend backend, Exchange exchange) {
        this.cfg = cfg;
        this.rank = exchange.rank();
        this.devices = exchange.replicas();
        Context ctx = new Context(backend, cfg.precision(), new Reduction(backend, exchange));
        this.model = Models.build(cfg.model(), ctx, cfg.pool(), cfg.reluAlpha(), cfg.seed());
        this.optimizer = new Optimizer(cfg.optimizer(), backend, model.trainable());
    }

    Backend backend() { return model.backend(); }

    /**
     * This device's part of a step on a batch of n samples (host: their input values, n * C*H*W of them; labels: n
     * of them): forward and backward of its micro-batches, the gradients summed over the batch, then the optimizer's
     * update (under loss scaling: their unscaling and the update when they are finite, else nothing).
     */
    Step step(int n, float[] host, int[] labels, double lossScale, boolean scaling, double lr) {
        Share share = Share.of(n, cfg.batchSize(), cfg.microBatch(), devices, rank);
        int[][] ls = new int[share.count()][];
        for (int i = 0; i < ls.length; i++) {
            int start = share.start(share.first() + i);
            ls[i] = Arrays.copyOfRange(labels, start, start + share.size(share.first() + i));
        }
        Backend.LossResult r = model.lossAndGradients(inputs(share, host), ls, lossScale);
        List<Parameter> trainable = model.trainable();
        if (scaling) {
            // GradScaler: a step whose (scaled) gradients are not finite is skipped, whatever the loss says.
            if (!LossScaler.finite(backend(), trainable)) return new Step(r.loss(), r.correct(), false, Double.NaN);
            LossScaler.divide(backend(), trainable, lossScale);
        }
        double norm = globalL2(trainable);
        // Without scaling, also a non-finite step is taken, as the study's loop took it: a diverged run is scored on
        // the network after it (docs/design.md, "Diverged runs").
        optimizer.step(lr);
        return new Step(r.loss(), r.correct(), true, norm);
    }

    /** This device's micro-batches of the batch, as input tensors (reused while their sizes stay the same). */
    private MicroBatches inputs(Share share, float[] host) {
        var s = cfg.model();
        int per = s.inChannels() * s.height() * s.width();
        Tensor[] t = new Tensor[share.count()];
        for (int i = 0; i < t.length; i++) {
            int mb = share.first() + i, size = share.size(mb);
            int[] shape = {size, s.inChannels(), s.height(), s.width()};
            t[i] = inputs != null && i < inputs.length && inputs[i].hasShape(shape) ? inputs[i]
                    : backend().zeros(cfg.precision(), shape);
            int from = share.start(mb) * per;
            backend().write(t[i], from == 0 && host.length == size * per ? host : Arrays.copyOfRange(host, from, from + size * per));
        }
        inputs = t;
        return new MicroBatches(share, t);
    }

    /** sqrt of the sum over parameters of their squared L2 norms. */
    private double globalL2(List<Parameter> trainable) {
        double sq = 0;
        for (Parameter p : trainable) {
            double l2 = backend().norms(p.grad())[1];
            sq += l2 * l2;
        }
        return Transcendentals.sqrt(sq);
    }

    /** This device's weights, buffers and optimizer state := those of source (restoring a checkpoint on every device). */
    void copyStateFrom(Replica source) {
        List<Parameter> from = source.model.parameters(), to = model.parameters();
        for (int i = 0; i < from.size(); i++) copy(source.backend(), from.get(i).value(), to.get(i).value());
        source.optimizer.state().forEach((name, t) -> copy(source.backend(), t, optimizer.state().get(name)));
        optimizer.restoreSteps(source.optimizer.steps());
    }

    private void copy(Backend from, Tensor src, Tensor dst) {
        backend().importValues(from.exportValues(src), dst);
    }
}
