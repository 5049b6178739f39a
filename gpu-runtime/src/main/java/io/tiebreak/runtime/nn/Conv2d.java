package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.parallel.MicroBatches;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Shapes;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;

/** 2-D convolution. x [N,Cin,H,W] -> y [N,Cout,Ho,Wo]; weight [Cout,Cin,kh,kw], optional bias [Cout]. */
public final class Conv2d implements Layer {
    private final Context ctx;
    private final String name;
    private final ConvGeometry g;
    private final Parameter weight, bias;
    private MicroBatches x; // saved input for backward
    private Tensor[] y, dx, dwParts, dbParts;

    public Conv2d(Context ctx, String name, ConvGeometry g, boolean withBias, Init.Scheme scheme, Rng rng) {
        this.ctx = ctx;
        this.name = name;
        this.g = g;
        this.weight = Parameter.trainable(ctx, name + ".weight", g.outChannels(), g.inChannels(), g.kernelH(), g.kernelW());
        this.bias = withBias ? Parameter.trainable(ctx, name + ".bias", g.outChannels()) : null;
        int fanIn = g.patchSize(), fanOut = g.outChannels() * g.kernelH() * g.kernelW();
        Init.weight(ctx, weight, scheme, fanIn, fanOut, rng);
        if (bias != null) Init.bias(ctx, bias, fanIn, rng);
    }

    @Override
    public MicroBatches forward(MicroBatches x, boolean training) {
        for (int i = 0; i < x.count(); i++) Shapes.require(x.get(i), name + " input", -1, g.inChannels(), -1, -1);
        this.x = x;
        y = ctx.reuse(y, x, t -> new int[] {t.dim(0), g.outChannels(), g.outH(t.dim(2)), g.outW(t.dim(3))});
        for (int i = 0; i < x.count(); i++) {
            ctx.backend().conv2dForward(x.get(i), weight.value(), bias == null ? null : bias.value(), g, y[i]);
        }
        return x.with(y);
    }

    @Override
    public MicroBatches backward(MicroBatches dy, boolean needInputGrad) {
        if (needInputGrad) dx = ctx.reuse(dx, x, Tensor::shape);
        if (dy.whole()) {
            ctx.backend().conv2dBackward(x.single(), weight.value(), dy.single(), g, needInputGrad ? dx[0] : null,
                    weight.grad(), bias == null ? null : bias.grad());
            return needInputGrad ? dy.with(dx) : null;
        }
        // Over micro-batches: each one's weight and bias gradients unrounded, then added in the tree order and
        // rounded once (docs/design.md, "Data parallelism").
        int k = dy.count();
        dwParts = ctx.partials(dwParts, k, weight.value().shape());
        if (bias != null) dbParts = ctx.partials(dbParts, k, g.outChannels());
        for (int i = 0; i < k; i++) {
            ctx.backend().conv2dBackward(x.get(i), weight.value(), dy.get(i), g, needInputGrad ? dx[i] : null,
                    dwParts[i], bias == null ? null : dbParts[i]);
        }
        ctx.reduction().sum(dy.share(), dwParts, weight.grad(), ctx.precision().matmulFormat());
        if (bias != null) ctx.reduction().sum(dy.share(), dbParts, bias.grad(), ctx.precision().matmulFormat());
        return needInputGrad ? dy.with(dx) : null;
    }

    @Override
    public void collectParameters(List<Parameter> out) {
        out.add(weight);
        if (bias != null) out.add(bias);
    }

    @Override
    public void releaseBuffers() {
        x = null;
        y = dx = dwParts = dbParts = null;
    }
}
