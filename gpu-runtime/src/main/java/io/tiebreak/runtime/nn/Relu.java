package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.parallel.MicroBatches;
import io.tiebreak.runtime.tensor.Tensor;

/** ReLU with ReLU'(0) = alpha (docs/design.md, "MaxPool Jacobian policies", its last line); the choice of alpha is the other nonsmooth Jacobian under study. */
public final class Relu implements Layer {
    private final Context ctx;
    private final double alpha;
    private MicroBatches x;
    private Tensor[] y, dx;

    public Relu(Context ctx, double alpha) {
        this.ctx = ctx;
        this.alpha = alpha;
    }

    @Override
    public MicroBatches forward(MicroBatches x, boolean training) {
        this.x = x;
        y = ctx.reuse(y, x, Tensor::shape);
        for (int i = 0; i < x.count(); i++) ctx.backend().reluForward(x.get(i), y[i]);
        return x.with(y);
    }

    @Override
    public MicroBatches backward(MicroBatches dy, boolean needInputGrad) {
        if (!needInputGrad) return null;
        dx = ctx.reuse(dx, x, Tensor::shape);
        for (int i = 0; i < x.count(); i++) ctx.backend().reluBackward(x.get(i), dy.get(i), alpha, dx[i]);
        return dy.with(dx);
    }

    @Override
    public void releaseBuffers() {
        x = null;
        y = dx = null;
    }
}
