package io.tiebreak.runtime.nn;

import java.util.List;

import io.tiebreak.runtime.tensor.Tensor;

/**
 * An op with an explicit forward/backward pair. forward in training mode keeps what backward needs; backward takes
 * dL/dy, overwrites the gradients of the layer's parameters and returns dL/dx (null when needInputGrad is false,
 * which skips that work for the network's first layer). Returned tensors belong to the layer and are reused by its
 * next call: consume them before calling the layer again.
 */
public interface Layer {
    Tensor forward(Tensor x, boolean training);

    Tensor backward(Tensor dy, boolean needInputGrad);

    /** Adds this layer's parameters and buffers, in construction order, to out. */
    default void collectParameters(List<Parameter> out) {}

    /** Adds this layer's max-pool layers, in forward order, to out. */
    default void collectPools(List<MaxPool2d> out) {}

    /**
     * Drops the outputs, input gradients and saved inputs kept for reuse between calls (parameters, their gradients
     * and statistics stay); the next forward allocates them again. For holding several models, one working at a time.
     */
    default void releaseBuffers() {}
}
