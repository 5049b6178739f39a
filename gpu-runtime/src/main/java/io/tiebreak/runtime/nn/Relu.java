package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.tensor.Tensor;

/** ReLU with ReLU'(0) = alpha (docs/design.md, "MaxPool Jacobian policies", its last line); the choice of alpha is the other nonsmooth Jacobian under study. */
public final class Relu implements Layer {
    private final Context ctx;
    private final double alpha;
    private Tensor x, y, dx;

    public Relu(Context ctx, double alpha) {
        this.ctx = ctx;
        this.alpha = alpha;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        this.x = x;
        y = ctx.reuse(y, x.shape());
        ctx.backend().reluForward(x, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        if (!needInputGrad) return null;
        dx = ctx.reuse(dx, x.shape());
        ctx.backend().reluBackward(x, dy, alpha, dx);
        return dx;
    }

    @Override
    public void releaseBuffers() {
        x = y = dx = null;
    }
}
