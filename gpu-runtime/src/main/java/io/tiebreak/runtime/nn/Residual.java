package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.parallel.MicroBatches;
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
    private Tensor[] sum, dx;

    public Residual(Context ctx, Layer branch, Layer shortcut, Relu relu) {
        this.ctx = ctx;
        this.branch = branch;
        this.shortcut = shortcut;
        this.relu = relu;
    }

    @Override
    public MicroBatches forward(MicroBatches x, boolean training) {
        MicroBatches b = branch.forward(x, training);
        MicroBatches s = shortcut == null ? x : shortcut.forward(x, training);
        sum = ctx.reuse(sum, b, Tensor::shape);
        for (int i = 0; i < b.count(); i++) ctx.backend().add(b.get(i), s.get(i), sum[i]);
        return relu.forward(b.with(sum), training);
    }

    @Override
    public MicroBatches backward(MicroBatches dy, boolean needInputGrad) {
        MicroBatches d = relu.backward(dy, true);
        MicroBatches db = branch.backward(d, needInputGrad);
        MicroBatches ds = shortcut == null ? (needInputGrad ? d : null) : shortcut.backward(d, needInputGrad);
        if (!needInputGrad) return null;
        dx = ctx.reuse(dx, db, Tensor::shape);
        for (int i = 0; i < db.count(); i++) ctx.backend().add(db.get(i), ds.get(i), dx[i]);
        return db.with(dx);
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
