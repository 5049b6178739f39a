package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.tensor.Tensor;

/** Where a model's numbers live and how they are rounded: the backend and the working precision. */
public record Context(Backend backend, Precision precision) {

    /** A zero tensor of the working precision. */
    public Tensor zeros(int... shape) { return backend.zeros(precision, shape); }

    /** A zero tensor in the precision reductions accumulate in (batch-norm saved statistics). */
    public Tensor accumulationZeros(int... shape) { return backend.zeros(precision.accumulation(), shape); }

    /**
     * t if it already has this shape, else a new zero tensor: layers keep their outputs between steps so a training
     * step allocates nothing once shapes are known.
     */
    public Tensor reuse(Tensor t, int... shape) {
        return t != null && t.hasShape(shape) ? t : zeros(shape);
    }
}
