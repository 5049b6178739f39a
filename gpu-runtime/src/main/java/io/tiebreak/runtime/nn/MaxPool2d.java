package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;

/**
 * Max pooling whose backward uses the configured Jacobian policy at ties (docs/design.md, "MaxPool Jacobian policies"). Remembers how many windows of
 * its last forward had tied maxima, for the zones analysis.
 */
public final class MaxPool2d implements Layer {
    private final Context ctx;
    private final String name;
    private final PoolGeometry g;
    private final PoolPolicy policy;
    private Tensor x, y, dx;
    private long lastTies;

    public MaxPool2d(Context ctx, String name, PoolGeometry g, PoolPolicy policy) {
        this.ctx = ctx;
        this.name = name;
        this.g = g;
        this.policy = policy;
    }

    public String name() { return name; }
    public PoolPolicy policy() { return policy; }

    /** Windows with two or more maximal inputs in the last forward. */
    public long lastTies() { return lastTies; }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        if (x.rank() != 4) throw new IllegalArgumentException(name + " input: expected [N,C,H,W], got " + x);
        this.x = x;
        y = ctx.reuse(y, x.dim(0), x.dim(1), g.out(x.dim(2)), g.out(x.dim(3)));
        lastTies = ctx.backend().maxPoolForward(x, g, policy, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        if (!needInputGrad) return null;
        dx = ctx.reuse(dx, x.shape());
        ctx.backend().maxPoolBackward(x, dy, g, policy, dx);
        return dx;
    }

    @Override
    public void collectPools(List<MaxPool2d> out) {
        out.add(this);
    }

    @Override
    public void releaseBuffers() {
        x = y = dx = null;
    }
}
