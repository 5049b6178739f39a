package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.parallel.MicroBatches;
import io.tiebreak.runtime.tensor.Tensor;

/** [N,C,H,W] -> [N,C*H*W] in PyTorch's (c,h,w) order: a reshape, since storage is NCHW. */
public final class Flatten implements Layer {
    private MicroBatches x;

    @Override
    public MicroBatches forward(MicroBatches x, boolean training) {
        this.x = x;
        Tensor[] y = new Tensor[x.count()];
        for (int i = 0; i < y.length; i++) y[i] = x.get(i).reshape(x.get(i).dim(0), x.get(i).size() / x.get(i).dim(0));
        return x.with(y);
    }

    @Override
    public MicroBatches backward(MicroBatches dy, boolean needInputGrad) {
        if (!needInputGrad) return null;
        Tensor[] dx = new Tensor[dy.count()];
        for (int i = 0; i < dx.length; i++) dx[i] = dy.get(i).reshape(x.get(i).shape());
        return dy.with(dx);
    }

    @Override
    public void releaseBuffers() {
        x = null;
    }
}
