package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.tensor.Tensor;

/**
 * A named tensor of a model, named as PyTorch's state_dict names it (e.g. "features.0.weight"). Trainable ones carry
 * a gradient of the same shape that backward overwrites; buffers (batch-norm running statistics) have none.
 */
public final class Parameter {
    private final String name;
    private final Tensor value;
    private final Tensor grad;

    private Parameter(String name, Tensor value, Tensor grad) {
        this.name = name;
        this.value = value;
        this.grad = grad;
    }

    public static Parameter trainable(Context ctx, String name, int... shape) {
        return new Parameter(name, ctx.zeros(shape), ctx.zeros(shape));
    }

    public static Parameter buffer(Context ctx, String name, int... shape) {
        return new Parameter(name, ctx.zeros(shape), null);
    }

    public String name() { return name; }
    public Tensor value() { return value; }
    public Tensor grad() { return grad; }
    public boolean isTrainable() { return grad != null; }
}
