package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.tensor.Tensor;

/** [N,C,H,W] -> [N,C*H*W] in PyTorch's (c,h,w) order: a reshape, since storage is NCHW. */
public final class Flatten implements Layer {
    private int[] inShape;

    @Override
    public Tensor forward(Tensor x, boolean training) {
        inShape = x.shape();
        return x.reshape(x.dim(0), x.size() / x.dim(0));
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        return needInputGrad ? dy.reshape(inShape) : null;
    }
}
