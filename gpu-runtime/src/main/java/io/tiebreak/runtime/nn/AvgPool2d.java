package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.tensor.Tensor;

/** Average pooling with zero padding counted in the divisor (PyTorch's default). */
public final class AvgPool2d implements Layer {
    private final Context ctx;
    private final PoolGeometry g;
    private int[] inShape;
    private Tensor y, dx;

    public AvgPool2d(Context ctx, PoolGeometry g) {
        this.ctx = ctx;
        this.g = g;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        inShape = x.shape();
        y = ctx.reuse(y, x.dim(0), x.dim(1), g.out(x.dim(2)), g.out(x.dim(3)));
        ctx.backend().avgPoolForward(x, g, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        if (!needInputGrad) return null;
        dx = ctx.reuse(dx, inShape);
        ctx.backend().avgPoolBackward(dy, g, dx);
        return dx;
    }

    @Override
    public void releaseBuffers() {
        y = dx = null;
    }
}
