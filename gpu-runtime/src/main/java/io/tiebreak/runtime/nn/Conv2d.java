package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.backend.ConvGeometry;
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
    private Tensor x, y, dx; // x: saved input for backward

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
    public Tensor forward(Tensor x, boolean training) {
        Shapes.require(x, name + " input", -1, g.inChannels(), -1, -1);
        this.x = x;
        y = ctx.reuse(y, x.dim(0), g.outChannels(), g.outH(x.dim(2)), g.outW(x.dim(3)));
        ctx.backend().conv2dForward(x, weight.value(), bias == null ? null : bias.value(), g, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        if (needInputGrad) dx = ctx.reuse(dx, x.shape());
        ctx.backend().conv2dBackward(x, weight.value(), dy, g, needInputGrad ? dx : null, weight.grad(),
                bias == null ? null : bias.grad());
        return needInputGrad ? dx : null;
    }

    @Override
    public void collectParameters(List<Parameter> out) {
        out.add(weight);
        if (bias != null) out.add(bias);
    }

    @Override
    public void releaseBuffers() {
        x = y = dx = null;
    }
}
