package io.tiebreak.runtime.tensor;

import io.tiebreak.runtime.precision.Precision;
import java.util.Arrays;

/**
 * A shape plus storage that lives on one backend. Row-major (NCHW for images). The storage is opaque here: the
 * backend that made the tensor knows what it is (float[]/double[] on the CPU, device memory on CUDA), and accepts
 * only tensors carrying its {@link Owner}.
 */
public final class Tensor {
    /**
     * The backend a tensor belongs to, as the tensor sees it: an identity the backend compares with its own, and a
     * name for messages. (A tensor does not hold its backend: tensors sit below backends.)
     */
    public static final class Owner {
        private final String name;

        public Owner(String name) { this.name = name; }

        public String name() { return name; }

        @Override
        public String toString() { return name; }
    }

    private final Owner owner;
    private final Precision precision;
    private final int[] shape;
    private final int size;
    private final Object storage;

    public Tensor(Owner owner, Precision precision, int[] shape, Object storage) {
        this.owner = owner;
        this.precision = precision;
        this.shape = shape.clone();
        this.size = Shapes.size(shape);
        this.storage = storage;
    }

    public Owner owner() { return owner; }
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
        return new Tensor(owner, precision, newShape, storage);
    }

    public boolean hasShape(int... dims) { return Arrays.equals(shape, dims); }

    @Override
    public String toString() {
        return "Tensor" + Shapes.str(shape) + "[" + precision.id() + ", " + owner.name() + "]";
    }
}
