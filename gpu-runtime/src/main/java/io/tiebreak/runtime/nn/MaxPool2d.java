package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.parallel.MicroBatches;
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
    private MicroBatches x;
    private Tensor[] y, dx;
    private long lastTies;

    public MaxPool2d(Context ctx, String name, PoolGeometry g, PoolPolicy policy) {
        this.ctx = ctx;
        this.name = name;
        this.g = g;
        this.policy = policy;
    }

    public String name() { return name; }
    public PoolPolicy policy() { return policy; }

    /** Windows with two or more maximal inputs in the last forward, over the whole batch (every device's part). */
    public long lastTies() { return lastTies; }

    @Override
    public MicroBatches forward(MicroBatches x, boolean training) {
        for (int i = 0; i < x.count(); i++) {
            if (x.get(i).rank() != 4) throw new IllegalArgumentException(name + " input: expected [N,C,H,W], got " + x.get(i));
        }
        this.x = x;
        y = ctx.reuse(y, x, t -> new int[] {t.dim(0), t.dim(1), g.out(t.dim(2)), g.out(t.dim(3))});
        long ties = 0;
        for (int i = 0; i < x.count(); i++) ties += ctx.backend().maxPoolForward(x.get(i), g, policy, y[i]);
        lastTies = ctx.reduction().count(x.share(), ties);
        return x.with(y);
    }

    @Override
    public MicroBatches backward(MicroBatches dy, boolean needInputGrad) {
        if (!needInputGrad) return null;
        dx = ctx.reuse(dx, x, Tensor::shape);
        for (int i = 0; i < x.count(); i++) ctx.backend().maxPoolBackward(x.get(i), dy.get(i), g, policy, dx[i]);
        return dy.with(dx);
    }

    @Override
    public void collectPools(List<MaxPool2d> out) {
        out.add(this);
    }

    @Override
    public void releaseBuffers() {
        x = null;
        y = dx = null;
    }
}
