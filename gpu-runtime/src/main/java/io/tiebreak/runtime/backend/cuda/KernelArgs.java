package io.tiebreak.runtime.backend.cuda;

import io.tiebreak.runtime.precision.Precision;
import java.util.ArrayList;
import java.util.List;

/**
 * A kernel's arguments in declaration order, each with the width its CUDA parameter has. Building them through
 * these typed methods is what keeps Java calls and kernel signatures in step (the emulator tests every call).
 */
final class KernelArgs {
    enum Kind { POINTER, INT, LONG, FLOAT, DOUBLE }

    private final List<Kind> kinds = new ArrayList<>();
    private final List<Number> values = new ArrayList<>();

    private KernelArgs add(Kind kind, Number value) {
        kinds.add(kind);
        values.add(value);
        return this;
    }

    /** A device address (0 for a null pointer). */
    KernelArgs ptr(long address) { return add(Kind.POINTER, address); }

    KernelArgs i32(int v) { return add(Kind.INT, v); }

    /** C's long long (element counts). */
    KernelArgs i64(long v) { return add(Kind.LONG, v); }

    KernelArgs f32(float v) { return add(Kind.FLOAT, v); }

    KernelArgs f64(double v) { return add(Kind.DOUBLE, v); }

    /** A scalar in the kernels' arithmetic format, narrowed as {@link Precision#scalar} says (never to binary16). */
    KernelArgs scalar(Precision p, double v) { return p.isDouble() ? f64(v) : f32((float) p.scalar(v)); }

    int size() { return kinds.size(); }

    Kind kind(int i) { return kinds.get(i); }

    Number value(int i) { return values.get(i); }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < size(); i++) s.append(i > 0 ? ", " : "").append(kinds.get(i)).append(' ').append(values.get(i));
        return s.append(')').toString();
    }
}
