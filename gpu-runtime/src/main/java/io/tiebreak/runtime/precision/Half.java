package io.tiebreak.runtime.precision;

/**
 * IEEE 754 binary16: conversion from binary32/binary64 with round-to-nearest-even, subnormals, overflow to
 * infinity and NaN kept. This is the only place binary16 rounding is implemented; everything else asks
 * {@link Precision}.
 *
 * <p>Java 17 has no Float.floatToFloat16 (JDK 20+), hence our own. {@link #round(float)} is the fast path used by
 * kernels; {@link #toBits(float)} is written independently with integer arithmetic so the two check each other.
 */
public final class Half {
    private Half() {}

    /** Largest finite binary16 value, 65504. */
    public static final float MAX_VALUE = 65504f;
    /** Smallest positive normal binary16 value, 2^-14. */
    public static final float MIN_NORMAL = 0x1p-14f;
    /** Smallest positive subnormal binary16 value, 2^-24. */
    public static final float MIN_VALUE = 0x1p-24f;

    private static final int SIGN = 0x8000_0000;
    private static final int F32_MIN_HALF_NORMAL = 0x3880_0000; // 2^-14 as binary32 bits
    private static final int F32_INF = 0x7f80_0000;
    private static final int F32_HALF_OVERFLOW = 0x4780_0000; // 65536: anything rounding here is out of range

    /**
     * x rounded to the nearest binary16 value (ties to even), returned as the binary32 holding it exactly. Written
     * with masks instead of branches: fp16 runs call it on every op output, and data-dependent branches here cost
     * twice as much as the arithmetic.
     */
    public static float round(float x) {
        int bits = Float.floatToRawIntBits(x);
        int abs = bits & ~SIGN;
        // Normal binary16 range: keep 10 of the 23 fraction bits, adding just under half an ulp plus the kept lsb.
        int normal = (abs + 0xfff + ((abs >>> 13) & 1)) & 0xffff_e000;
        int overflow = (F32_HALF_OVERFLOW - 1 - normal) >> 31; // all ones when it rounded to 65536 or beyond
        normal = (normal & ~overflow) | (F32_INF & overflow);
        // Below 2^-14 the spacing is 2^-24, binary32's spacing on [0.5, 1): let the FPU round.
        int subnormal = Float.floatToRawIntBits((Float.intBitsToFloat(abs) + 0.5f) - 0.5f);
        int isNormal = (F32_MIN_HALF_NORMAL - 1 - abs) >> 31;
        int r = (normal & isNormal) | (subnormal & ~isNormal);
        int special = (F32_INF - 1 - abs) >> 31; // inf and NaN pass through unchanged
        r = (r & ~special) | (abs & special);
        return Float.intBitsToFloat(r | (bits & SIGN));
    }

    /** x rounded once (not via binary32) to the nearest binary16 value, ties to even. */
    public static double round(double x) {
        long bits = Double.doubleToRawLongBits(x);
        long abs = bits & Long.MAX_VALUE;
        if (abs >= 0x3f10_0000_0000_0000L) { // 2^-14
            if (abs >= 0x7ff0_0000_0000_0000L) return x;
            long r = (abs + ((1L << 41) - 1) + ((abs >>> 42) & 1)) & ~((1L << 42) - 1);
            if (r >= 0x40f0_0000_0000_0000L) r = 0x7ff0_0000_0000_0000L; // 65536 overflows
            return Double.longBitsToDouble(r | (bits & Long.MIN_VALUE));
        }
        return Math.copySign(Math.rint(Math.abs(x) * 0x1p24) * 0x1p-24, x);
    }

    /** Rounds n values of a in place, starting at off. */
    public static void roundInPlace(float[] a, int off, int n) {
        for (int i = off, end = off + n; i < end; i++) a[i] = round(a[i]);
    }

    /** binary16 bit pattern nearest to x (ties to even), computed with integer arithmetic only. */
    public static short toBits(float x) {
        int bits = Float.floatToRawIntBits(x);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int frac = bits & 0x7f_ffff;
        if (exp == 0xff) { // inf or NaN: keep the top of the payload, force quiet
            return (short) (sign | 0x7c00 | (frac == 0 ? 0 : 0x200 | (frac >>> 13)));
        }
        int e = exp - 127 + 15; // binary16 biased exponent
        int mant = exp == 0 ? frac : frac | 0x80_0000; // 24-bit significand (implicit one when normal)
        int shift; // how many low bits of mant to drop
        if (e >= 1) {
            shift = 13;
        } else {
            shift = 14 - e; // subnormal: significand scaled to units of 2^-24
            e = 0;
            if (exp == 0) shift = 24; // binary32 subnormals are far below 2^-24/2: round to zero
            if (shift > 25) return (short) sign;
        }
        int kept = shift >= 32 ? 0 : mant >>> shift;
        int rest = mant & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rest > halfway || (rest == halfway && (kept & 1) == 1)) kept++;
        int out;
        if (e == 0) {
            out = kept; // may carry into the exponent field, which is exactly right (becomes 2^-14)
        } else {
            out = (e << 10) + (kept - 0x400); // kept includes the implicit one; a carry bumps the exponent
        }
        if (out >= 0x7c00) out = 0x7c00;
        return (short) (sign | out);
    }

    /** The binary16 value with bit pattern h, as an exact binary32. */
    public static float fromBits(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int frac = bits & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | F32_INF | (frac << 13));
        if (exp == 0) return Math.copySign(frac * MIN_VALUE, Float.intBitsToFloat(sign | 0x3f80_0000));
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (frac << 13));
    }

    /** True when x is exactly a binary16 value (NaN and infinities included). */
    public static boolean isHalf(float x) {
        return Float.isNaN(x) || Float.floatToRawIntBits(round(x)) == Float.floatToRawIntBits(x);
    }
}
