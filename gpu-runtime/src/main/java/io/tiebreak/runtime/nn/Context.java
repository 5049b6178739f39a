package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.parallel.MicroBatches;
import io.tiebreak.runtime.parallel.Reduction;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.function.Function;

/**
 * Where a model's numbers live and how they are rounded: the backend, the working precision, and the reduction that
 * adds sums over a step's micro-batches, across the run's devices (docs/design.md, "Data parallelism").
 */
public record Context(Backend backend, Precision precision, Reduction reduction) {

    /** A model on one device. */
    public Context(Backend backend, Precision precision) {
        this(backend, precision, Reduction.solo(backend));
    }

    /** A zero tensor of the working precision. */
    public Tensor zeros(int... shape) { return backend.zeros(precision, shape); }

    /** A zero tensor in the precision reductions accumulate in (batch-norm statistics, micro-batch partials). */
    public Tensor accumulationZeros(int... shape) { return backend.zeros(precision.accumulation(), shape); }

    /**
     * t if it already has this shape, else a new zero tensor: layers keep their outputs between steps so a training
     * step allocates nothing once shapes are known.
     */
    public Tensor reuse(Tensor t, int... shape) {
        return t != null && t.hasShape(shape) ? t : zeros(shape);
    }

    /** {@link #reuse} per micro-batch: one tensor for each of like's micro-batches, of the shape shapeOf gives. */
    public Tensor[] reuse(Tensor[] ts, MicroBatches like, Function<Tensor, int[]> shapeOf) {
        Tensor[] out = new Tensor[like.count()];
        for (int i = 0; i < out.length; i++) out[i] = reuse(ts != null && i < ts.length ? ts[i] : null, shapeOf.apply(like.get(i)));
        return out;
    }

    /** One accumulation-precision tensor of the given shape per micro-batch (their partial sums), reused. */
    public Tensor[] partials(Tensor[] ts, int count, int... shape) {
        Tensor[] out = new Tensor[count];
        for (int i = 0; i < count; i++) {
            Tensor t = ts != null && i < ts.length ? ts[i] : null;
            out[i] = t != null && t.hasShape(shape) ? t : accumulationZeros(shape);
        }
        return out;
    }
}
