package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.parallel.MicroBatches;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Shapes;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;

/** Fully connected layer. x [N,in] -> y [N,out]; weight [out,in], bias [out]. */
public final class Linear implements Layer {
    private final Context ctx;
    private final String name;
    private final int in, out;
    private final Parameter weight, bias;
    private MicroBatches x;
    private Tensor[] y, dx, dwParts, dbParts;

    public Linear(Context ctx, String name, int in, int out, Rng rng) {
        this.ctx = ctx;
        this.name = name;
        this.in = in;
        this.out = out;
        this.weight = Parameter.trainable(ctx, name + ".weight", out, in);
        this.bias = Parameter.trainable(ctx, name + ".bias", out);
        Init.weight(ctx, weight, Init.Scheme.PYTORCH_DEFAULT, in, out, rng);
        Init.bias(ctx, bias, in, rng);
    }

    /** Sets the bias to 0 (nn.init.constant_(bias, 0), as the study's DenseNet does); returns this layer. */
    public Linear zeroBias() {
        Init.constant(ctx, bias, 0);
        return this;
    }

    @Override
    public MicroBatches forward(MicroBatches x, boolean training) {
        for (int i = 0; i < x.count(); i++) Shapes.require(x.get(i), name + " input", -1, in);
        this.x = x;
        y = ctx.reuse(y, x, t -> new int[] {t.dim(0), out});
        for (int i = 0; i < x.count(); i++) ctx.backend().linearForward(x.get(i), weight.value(), bias.value(), y[i]);
        return x.with(y);
    }

    @Override
    public MicroBatches backward(MicroBatches dy, boolean needInputGrad) {
        if (needInputGrad) dx = ctx.reuse(dx, x, Tensor::shape);
        if (dy.whole()) {
            ctx.backend().linearBackward(x.single(), weight.value(), dy.single(), needInputGrad ? dx[0] : null,
                    weight.grad(), bias.grad());
            return needInputGrad ? dy.with(dx) : null;
        }
        // Over micro-batches, as Conv2d: unrounded partials added in the tree order, rounded once.
        int k = dy.count();
        dwParts = ctx.partials(dwParts, k, out, in);
        dbParts = ctx.partials(dbParts, k, out);
        for (int i = 0; i < k; i++) {
            ctx.backend().linearBackward(x.get(i), weight.value(), dy.get(i), needInputGrad ? dx[i] : null,
                    dwParts[i], dbParts[i]);
        }
        ctx.reduction().sum(dy.share(), dwParts, weight.grad(), ctx.precision().matmulFormat());
        ctx.reduction().sum(dy.share(), dbParts, bias.grad(), ctx.precision().matmulFormat());
        return needInputGrad ? dy.with(dx) : null;
    }

    @Override
    public void collectParameters(List<Parameter> out) {
        out.add(weight);
        out.add(bias);
    }

    @Override
    public void releaseBuffers() {
        x = null;
        y = dx = dwParts = dbParts = null;
    }
}
