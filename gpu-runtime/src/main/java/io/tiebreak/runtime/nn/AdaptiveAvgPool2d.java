package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.tensor.Tensor;

/** Adaptive average pooling to a fixed output size (ResNet's head). */
public final class AdaptiveAvgPool2d implements Layer {
    private final Context ctx;
    private final int outH, outW;
    private int[] inShape;
    private Tensor y, dx;

    public AdaptiveAvgPool2d(Context ctx, int outH, int outW) {
        this.ctx = ctx;
        this.outH = outH;
        this.outW = outW;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        inShape = x.shape();
        y = ctx.reuse(y, x.dim(0), x.dim(1), outH, outW);
        ctx.backend().adaptiveAvgPoolForward(x, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        if (!needInputGrad) return null;
        dx = ctx.reuse(dx, inShape);
        ctx.backend().adaptiveAvgPoolBackward(dy, dx);
        return dx;
    }

    @Override
    public void releaseBuffers() {
        y = dx = null;
    }
}
