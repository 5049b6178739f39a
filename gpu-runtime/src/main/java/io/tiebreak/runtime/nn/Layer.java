package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.parallel.MicroBatches;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;

/**
 * An op with an explicit forward/backward pair, over the micro-batches of a training step that one device holds
 * (a whole batch is one micro-batch: {@link MicroBatches#whole}). forward in training mode keeps what backward needs;
 * backward takes dL/dy, overwrites the gradients of the layer's parameters (sums over the step's micro-batches, in
 * the fixed order of docs/design.md, "Data parallelism") and returns dL/dx (null when needInputGrad is false, which
 * skips that work for the network's first layer). Returned tensors belong to the layer and are reused by its next
 * call: consume them before calling the layer again.
 */
public interface Layer {
    MicroBatches forward(MicroBatches x, boolean training);

    MicroBatches backward(MicroBatches dy, boolean needInputGrad);

    /** forward of a whole batch on one device. */
    default Tensor forward(Tensor x, boolean training) {
        return forward(MicroBatches.whole(x), training).single();
    }

    /** backward of a whole batch on one device. */
    default Tensor backward(Tensor dy, boolean needInputGrad) {
        MicroBatches dx = backward(MicroBatches.whole(dy), needInputGrad);
        return dx == null ? null : dx.single();
    }

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
