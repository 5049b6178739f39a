package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;

/**
 * y = cat(x, branch(x)) along channels: DenseNet's dense layer, whose branch computes new features from all the
 * ones before (the way {@link Residual} adds a branch to its input). x [N,C,H,W], branch(x) [N,G,H,W],
 * y [N,C+G,H,W]. A block of such layers is DenseNet's block: each layer sees the concatenation of the block's input
 * and every earlier layer's features, and the block outputs all of them.
 */
public final class Concat implements Layer {
    private final Context ctx;
    private final Layer branch;
    private int[] inShape;
    private Tensor y, dx, dNew;

    public Concat(Context ctx, Layer branch) {
        this.ctx = ctx;
        this.branch = branch;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        inShape = x.shape();
        Tensor fresh = branch.forward(x, training);
        int[] out = x.shape();
        out[1] += fresh.dim(1);
        y = ctx.reuse(y, out);
        ctx.backend().concatForward(x, fresh, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        int[] freshShape = dy.shape();
        freshShape[1] -= inShape[1];
        dx = ctx.reuse(dx, inShape);
        dNew = ctx.reuse(dNew, freshShape);
        ctx.backend().concatBackward(dy, dx, dNew);
        Tensor dBranch = branch.backward(dNew, needInputGrad);
        if (!needInputGrad) return null;
        // x's gradient: its part of dy, then the branch's (PyTorch's autograd adds them in that order too: the later
        // consumer of x, the concatenation, first).
        ctx.backend().add(dx, dBranch, dx);
        return dx;
    }

    @Override
    public void collectParameters(List<Parameter> out) { branch.collectParameters(out); }

    @Override
    public void collectPools(List<MaxPool2d> out) { branch.collectPools(out); }

    @Override
    public void releaseBuffers() {
        branch.releaseBuffers();
        y = dx = dNew = null;
    }
}
