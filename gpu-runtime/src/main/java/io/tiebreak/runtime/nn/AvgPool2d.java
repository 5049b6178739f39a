package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.parallel.MicroBatches;
import io.tiebreak.runtime.tensor.Tensor;

/** Average pooling with zero padding counted in the divisor (PyTorch's default). */
public final class AvgPool2d implements Layer {
    private final Context ctx;
    private final PoolGeometry g;
    private MicroBatches x;
    private Tensor[] y, dx;

    public AvgPool2d(Context ctx, PoolGeometry g) {
        this.ctx = ctx;
        this.g = g;
    }

    @Override
    public MicroBatches forward(MicroBatches x, boolean training) {
        this.x = x;
        y = ctx.reuse(y, x, t -> new int[] {t.dim(0), t.dim(1), g.out(t.dim(2)), g.out(t.dim(3))});
        for (int i = 0; i < x.count(); i++) ctx.backend().avgPoolForward(x.get(i), g, y[i]);
        return x.with(y);
    }

    @Override
    public MicroBatches backward(MicroBatches dy, boolean needInputGrad) {
        if (!needInputGrad) return null;
        dx = ctx.reuse(dx, x, Tensor::shape);
        for (int i = 0; i < x.count(); i++) ctx.backend().avgPoolBackward(dy.get(i), g, dx[i]);
        return dy.with(dx);
    }

    @Override
    public void releaseBuffers() {
        x = null;
        y = dx = null;
    }
}
