package io.tiebreak.runtime.models;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.nn.Layer;
import io.tiebreak.runtime.nn.MaxPool2d;
import io.tiebreak.runtime.nn.Parameter;
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
    private Tensor dlogits;

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
        Shapes.require(x, "model input", -1, spec.inChannels(), spec.height(), spec.width());
        return net.forward(x, training);
    }

    /**
     * Forward in training mode, softmax cross-entropy against labels, and backward: every trainable parameter's
     * gradient is overwritten with d(lossScale * loss)/dp. Returns the (unscaled) loss and correct count.
     */
    public Backend.LossResult lossAndGradients(Tensor x, int[] labels, double lossScale) {
        Tensor logits = forward(x, true);
        dlogits = ctx.reuse(dlogits, logits.shape());
        Backend.LossResult r = ctx.backend().softmaxCrossEntropy(logits, labels, lossScale, dlogits);
        net.backward(dlogits, false);
        return r;
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
