package io.tiebreak.runtime.precision;

import java.util.Locale;

/**
 * The working precision of a run, and every rounding rule that follows from it (DESIGN.md, "Precision semantics").
 *
 * <p>Each precision assigns a {@link Format} to two roles:
 * <ul>
 *   <li>{@link #valueFormat()}: what every op output, weight, gradient and optimizer state is rounded to;</li>
 *   <li>{@link #matmulFormat()}: what conv/linear operands and results are rounded to (products accumulate in binary32
 *       for binary16 operands, which is exact per product: 11-bit significands multiply into 22 bits).</li>
 * </ul>
 * {@code fp16} and {@code mixed} keep binary16 values inside binary32 arrays on the CPU: every stored value is a
 * binary16 value, so the semantics are those of binary16 storage while kernels avoid a conversion per load.
 * Scalars (lr, momentum, weight decay) stay binary32 inside the computation and are never pre-rounded.
 */
public enum Precision {
    FP16(16, Format.HALF, Format.HALF),
    FP32(32, Format.SINGLE, Format.SINGLE),
    FP64(64, Format.DOUBLE, Format.DOUBLE),
    /** The study's "24 bits": binary32 master weights and optimizer state, binary16 conv/linear, loss scaling. */
    MIXED(24, Format.SINGLE, Format.HALF);

    private final int bits;
    private final Format values;
    private final Format matmul;

    Precision(int bits, Format values, Format matmul) {
        this.bits = bits;
        this.values = values;
        this.matmul = matmul;
    }

    /** The study's name for the precision: 16, 32, 64, or 24 for mixed. */
    public int bits() { return bits; }

    /** Format of stored values and of every non-matmul op output. */
    public Format valueFormat() { return values; }

    /** Format of conv/linear operands and outputs. */
    public Format matmulFormat() { return matmul; }

    /**
     * The format conv/linear operands must be rounded to before the product, or null when stored values already
     * are in it (everything but mixed, whose binary32 activations and master weights enter as binary16).
     */
    public Format matmulOperandRounding() { return values == matmul ? null : matmul; }

    /** Format in which reductions (batch-norm statistics, loss) accumulate: binary32, or binary64 for fp64. */
    public Precision accumulation() { return this == FP64 ? FP64 : FP32; }

    /** True when arrays are double[] (fp64), false when float[]. */
    public boolean isDouble() { return values == Format.DOUBLE; }

    /** Whether training needs dynamic loss scaling (mixed only). */
    public boolean usesLossScaling() { return this == MIXED; }

    /** Canonical name as written in grids and result tables: fp16, fp32, fp64, mixed. */
    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** Parses fp16/fp32/fp64/mixed, also 16/32/64/24 as the study names them. */
    public static Precision parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        for (Precision p : values()) {
            if (p.id().equals(t) || Integer.toString(p.bits).equals(t)) return p;
        }
        throw new IllegalArgumentException("unknown precision '" + s + "': expected one of fp16, fp32, fp64, mixed");
    }

    /** A floating-point storage format and its round-to-nearest-even rule. */
    public enum Format {
        HALF, SINGLE, DOUBLE;

        public boolean isHalf() { return this == HALF; }

        /** v rounded to this format; v is a binary32 result, so SINGLE and DOUBLE leave it alone. */
        public float round(float v) {
            return this == HALF ? Half.round(v) : v;
        }

        /** v rounded once to this format. */
        public double round(double v) {
            switch (this) {
                case HALF: return Half.round(v);
                case SINGLE: return (float) v;
                default: return v;
            }
        }

        /** Rounds a[off, off+n) in place (a no-op unless HALF, since binary32 arrays already hold binary32). */
        public void roundInPlace(float[] a, int off, int n) {
            if (this == HALF) Half.roundInPlace(a, off, n);
        }

        /** Rounds a[off, off+n) in place. */
        public void roundInPlace(double[] a, int off, int n) {
            if (this == DOUBLE) return;
            for (int i = off, end = off + n; i < end; i++) a[i] = round(a[i]);
        }

        /** Bytes per value when this format is written out (safetensors). */
        public int bytes() {
            return this == HALF ? 2 : this == SINGLE ? 4 : 8;
        }
    }
}
