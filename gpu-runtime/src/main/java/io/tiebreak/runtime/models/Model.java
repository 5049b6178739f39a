package io.tiebreak.runtime.models;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.nn.Layer;
import io.tiebreak.runtime.nn.MaxPool2d;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.parallel.MicroBatches;
import io.tiebreak.runtime.parallel.Share;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.tensor.Shapes;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A built network: its layers, its named parameters and buffers (PyTorch state_dict names, construction order),
 * and its max-pool layers. One forward/backward of a batch is {@link #lossAndGradients}.
 */
public final class Model {
    private final ModelSpec spec;
    private final Context ctx;
    private final Layer net;
    private final List<Parameter> parameters;
    private final List<MaxPool2d> pools;
    private Tensor[] dlogits;

    Model(ModelSpec spec, Context ctx, Layer net) {
        this.spec = spec;
        this.ctx = ctx;
        this.net = net;
        List<Parameter> ps = new ArrayList<>();
        net.collectParameters(ps);
        this.parameters = Collections.unmodifiableList(ps);
        List<MaxPool2d> mp = new ArrayList<>();
        net.collectPools(mp);
        this.pools = Collections.unmodifiableList(mp);
        Map<String, Parameter> seen = new LinkedHashMap<>();
        for (Parameter p : ps) {
            if (seen.put(p.name(), p) != null) throw new IllegalStateException("duplicate parameter name " + p.name());
        }
    }

    public ModelSpec spec() { return spec; }
    public Context context() { return ctx; }
    public Backend backend() { return ctx.backend(); }

    /** Parameters and buffers in construction order. */
    public List<Parameter> parameters() { return parameters; }

    /** Trainable parameters only, in construction order. */
    public List<Parameter> trainable() {
        return parameters.stream().filter(Parameter::isTrainable).toList();
    }

    public Parameter parameter(String name) {
        for (Parameter p : parameters) if (p.name().equals(name)) return p;
        throw new IllegalArgumentException("model " + spec.network().id() + " has no parameter '" + name + "'");
    }

    /** Max-pool layers in forward order (each has its tie count from the last forward). */
    public List<MaxPool2d> pools() { return pools; }

    /** Logits [N, classes] for a batch x [N, C, H, W]. */
    public Tensor forward(Tensor x, boolean training) {
        return forward(MicroBatches.whole(x), training).single();
    }

    /** Logits [M, classes] of each micro-batch [M, C, H, W] this device holds. */
    public MicroBatches forward(MicroBatches x, boolean training) {
        for (int i = 0; i < x.count(); i++) {
            Shapes.require(x.get(i), "model input", -1, spec.inChannels(), spec.height(), spec.width());
        }
        return net.forward(x, training);
    }

    /**
     * Forward in training mode, softmax cross-entropy against labels, and backward: every trainable parameter's
     * gradient is overwritten with d(lossScale * loss)/dp. Returns the (unscaled) loss and correct count.
     */
    public Backend.LossResult lossAndGradients(Tensor x, int[] labels, double lossScale) {
        return lossAndGradients(MicroBatches.whole(x), new int[][] {labels}, lossScale);
    }

    /**
     * {@link #lossAndGradients(Tensor, int[], double)} of the step's whole batch, of which this device holds the
     * micro-batches x (labels: one array per micro-batch): loss, correct count and gradients are the whole batch's,
     * the same bits on every device and for every device count (docs/design.md, "Data parallelism"). Every device of
     * the run calls this for the same step.
     */
    public Backend.LossResult lossAndGradients(MicroBatches x, int[][] labels, double lossScale) {
        if (labels.length != x.count()) {
            throw new IllegalArgumentException("expected labels for " + x.count() + " micro-batches, got " + labels.length);
        }
        MicroBatches logits = forward(x, true);
        Backend b = ctx.backend();
        dlogits = ctx.reuse(dlogits, logits, Tensor::shape);
        if (x.whole()) {
            Backend.LossResult r = b.softmaxCrossEntropy(logits.single(), labels[0], lossScale, dlogits[0]);
            net.backward(logits.with(dlogits), false);
            return r;
        }
        Share share = x.share();
        double[] sums = new double[x.count()];
        long correct = 0;
        for (int i = 0; i < x.count(); i++) {
            Backend.LossSum s = b.softmaxCrossEntropySum(logits.get(i), labels[i], lossScale, share.samples(), dlogits[i]);
            sums[i] = s.sum();
            correct += s.correct();
        }
        net.backward(logits.with(dlogits), false);
        Precision p = ctx.precision();
        double total = ctx.reduction().sum(share, sums, p.arithmeticFormat());
        return new Backend.LossResult(p.mean(total, share.samples()), Math.toIntExact(ctx.reduction().count(share, correct)));
    }

    /** Drops every layer's activation and gradient buffers (see {@link Layer#releaseBuffers}). */
    public void releaseBuffers() {
        net.releaseBuffers();
        dlogits = null;
    }

    /** Loss and correct count in eval mode, without gradients. */
    public Backend.LossResult evaluate(Tensor x, int[] labels) {
        return ctx.backend().softmaxCrossEntropy(forward(x, false), labels, 1, null);
    }
}
