package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.parallel.MicroBatches;
import io.tiebreak.runtime.tensor.Tensor;

/** Adaptive average pooling to a fixed output size (ResNet's head). */
public final class AdaptiveAvgPool2d implements Layer {
    private final Context ctx;
    private final int outH, outW;
    private MicroBatches x;
    private Tensor[] y, dx;

    public AdaptiveAvgPool2d(Context ctx, int outH, int outW) {
        this.ctx = ctx;
        this.outH = outH;
        this.outW = outW;
    }

    @Override
    public MicroBatches forward(MicroBatches x, boolean training) {
        this.x = x;
        y = ctx.reuse(y, x, t -> new int[] {t.dim(0), t.dim(1), outH, outW});
        for (int i = 0; i < x.count(); i++) ctx.backend().adaptiveAvgPoolForward(x.get(i), y[i]);
        return x.with(y);
    }

    @Override
    public MicroBatches backward(MicroBatches dy, boolean needInputGrad) {
        if (!needInputGrad) return null;
        dx = ctx.reuse(dx, x, Tensor::shape);
        for (int i = 0; i < x.count(); i++) ctx.backend().adaptiveAvgPoolBackward(dy.get(i), dx[i]);
        return dy.with(dx);
    }

    @Override
    public void releaseBuffers() {
        x = null;
        y = dx = null;
    }
}
