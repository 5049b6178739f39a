package io.tiebreak.runtime.nn;

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
    private Tensor x, y, dx;

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
    public Tensor forward(Tensor x, boolean training) {
        Shapes.require(x, name + " input", -1, in);
        this.x = x;
        y = ctx.reuse(y, x.dim(0), out);
        ctx.backend().linearForward(x, weight.value(), bias.value(), y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        if (needInputGrad) dx = ctx.reuse(dx, x.shape());
        ctx.backend().linearBackward(x, weight.value(), dy, needInputGrad ? dx : null, weight.grad(), bias.grad());
        return needInputGrad ? dx : null;
    }

    @Override
    public void collectParameters(List<Parameter> out) {
        out.add(weight);
        out.add(bias);
    }

    @Override
    public void releaseBuffers() {
        x = y = dx = null;
    }
}
