package io.tiebreak.runtime.precision;

import java.util.Locale;

/**
 * The working precision of a run, and every rounding rule that follows from it (docs/design.md, "Precision
 * semantics"). Kernels of every backend follow these rules; nothing else rounds.
 *
 * <p>Each precision assigns a {@link Format} to three roles:
 * <ul>
 *   <li>{@link #valueFormat()}: what every op output, weight, gradient and optimizer state is rounded to;</li>
 *   <li>{@link #matmulFormat()}: what conv/linear operands and results are rounded to (products accumulate in binary32
 *       for binary16 operands, which is exact per product: 11-bit significands multiply into 22 bits);</li>
 *   <li>{@link #arithmeticFormat()}: the type kernels compute and accumulate in (reductions such as batch-norm
 *       statistics, loss and softmax included): binary32, or binary64 for fp64. Never binary16.</li>
 * </ul>
 * Three rules follow:
 * <ul>
 *   <li>Scalar narrowing: a scalar argument (lr, momentum, 1 - beta, eps, a loss scale) is a binary64 value from the
 *       user, narrowed once to the arithmetic format ({@link #scalar}) and never pre-rounded to binary16. Scalars
 *       that PyTorch derives in Python floats (Adam's bias corrections, 1 - beta1) are derived in binary64 and then
 *       narrowed; {@code 1 - dampening} and {@code 1 - B} are formed in the arithmetic format from the narrowed value
 *       ({@link #complement}), as PyTorch's kernels form them.</li>
 *   <li>Compute in binary64, then narrow: exp, log and sqrt of arithmetic-format values are evaluated in binary64
 *       through {@link Transcendentals} and the result narrowed once.</li>
 *   <li>Each op rounds its output once to the value (or matmul) format.</li>
 * </ul>
 * {@code fp16} and {@code mixed} keep binary16 values inside binary32 arrays on the CPU: every stored value is a
 * binary16 value, so the semantics are those of binary16 storage while kernels avoid a conversion per load.
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

    /** The precision whose values are the arithmetic format: fp32, or fp64 for fp64 (batch-norm statistics). */
    public Precision accumulation() { return this == FP64 ? FP64 : FP32; }

    /** Format kernels compute and accumulate in: binary32, or binary64 for fp64 (never binary16). */
    public Format arithmeticFormat() { return accumulation().valueFormat(); }

    /** A scalar as kernels take it: v narrowed once to the arithmetic format (binary32 unless fp64). */
    public double scalar(double v) { return arithmeticFormat().round(v); }

    /** 1 - v formed in the arithmetic format from the narrowed v (1 - dampening, 1 - B), as PyTorch's kernels do. */
    public double complement(double v) { return isDouble() ? 1 - v : (double) (1 - (float) v); }

    /**
     * The mean of count values from their sum in the arithmetic format: divided in the arithmetic format and rounded
     * once to the value format (the loss of a batch).
     */
    public double mean(double sum, int count) {
        return isDouble() ? sum / count : valueFormat().round((float) sum / count);
    }

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

        /** Whether rounding binary32 values to this format leaves them alone (kernels may then skip it). */
        public boolean roundsNothingIn(float[] values) { return this != HALF; }

        /** Whether rounding binary64 values to this format leaves them alone. */
        public boolean roundsNothingIn(double[] values) { return this == DOUBLE; }

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
