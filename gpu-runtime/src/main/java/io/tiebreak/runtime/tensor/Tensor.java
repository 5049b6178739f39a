package io.tiebreak.runtime.tensor;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.precision.Precision;
import java.util.Arrays;

/**
 * A shape plus storage that lives on one backend. Row-major (NCHW for images). The storage is opaque here: the
 * backend that made the tensor knows what it is (float[]/double[] on the CPU, device memory on CUDA).
 */
public final class Tensor {
    private final Backend backend;
    private final Precision precision;
    private final int[] shape;
    private final int size;
    private final Object storage;

    public Tensor(Backend backend, Precision precision, int[] shape, Object storage) {
        this.backend = backend;
        this.precision = precision;
        this.shape = shape.clone();
        this.size = Shapes.size(shape);
        this.storage = storage;
    }

    public Backend backend() { return backend; }
    public Precision precision() { return precision; }
    public Object storage() { return storage; }

    public int[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }
    public int size() { return size; }

    /** The same storage seen with another shape of the same size (flatten, unflatten). */
    public Tensor reshape(int... newShape) {
        if (Shapes.size(newShape) != size) {
            throw new IllegalArgumentException("cannot reshape " + Shapes.str(shape) + " to " + Shapes.str(newShape));
        }
        return new Tensor(backend, precision, newShape, storage);
    }

    public boolean hasShape(int... dims) { return Arrays.equals(shape, dims); }

    @Override
    public String toString() {
        return "Tensor" + Shapes.str(shape) + "[" + precision.id() + ", " + backend.name() + "]";
    }
}
