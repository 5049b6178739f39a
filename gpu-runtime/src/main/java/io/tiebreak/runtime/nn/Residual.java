package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;

/**
 * y = relu(branch(x) + shortcut(x)), shortcut being the identity when null: ResNet's BasicBlock and Bottleneck
 * differ only in their branch.
 */
public final class Residual implements Layer {
    private final Context ctx;
    private final Layer branch, shortcut;
    private final Relu relu;
    private Tensor sum, dx;

    public Residual(Context ctx, Layer branch, Layer shortcut, Relu relu) {
        this.ctx = ctx;
        this.branch = branch;
        this.shortcut = shortcut;
        this.relu = relu;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Tensor b = branch.forward(x, training);
        Tensor s = shortcut == null ? x : shortcut.forward(x, training);
        sum = ctx.reuse(sum, b.shape());
        ctx.backend().add(b, s, sum);
        return relu.forward(sum, training);
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Tensor d = relu.backward(dy, true);
        Tensor db = branch.backward(d, needInputGrad);
        Tensor ds = shortcut == null ? (needInputGrad ? d : null) : shortcut.backward(d, needInputGrad);
        if (!needInputGrad) return null;
        dx = ctx.reuse(dx, db.shape());
        ctx.backend().add(db, ds, dx);
        return dx;
    }

    @Override
    public void collectParameters(List<Parameter> out) {
        branch.collectParameters(out);
        if (shortcut != null) shortcut.collectParameters(out);
    }

    @Override
    public void collectPools(List<MaxPool2d> out) {
        branch.collectPools(out);
        if (shortcut != null) shortcut.collectPools(out);
    }

    @Override
    public void releaseBuffers() {
        branch.releaseBuffers();
        if (shortcut != null) shortcut.releaseBuffers();
        relu.releaseBuffers();
        sum = dx = null;
    }
}
