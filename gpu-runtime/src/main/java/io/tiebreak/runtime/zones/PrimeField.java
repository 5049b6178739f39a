package io.tiebreak.runtime.zones;

/**
 * The integers modulo a prime p below 2^16, for the zones' exact test (docs/design.md, "Zones over the reals").
 *
 * <p>Every finite binary64 value is a rational m * 2^e, and m * 2^e -> m * (2^e mod p) maps those rationals (whose
 * denominators, powers of two, are invertible mod p) onto Z/p while keeping sums and products: a sum of products of
 * binary64 values that is zero over the reals has residue 0, so a nonzero residue proves it nonzero. The converse
 * fails only when p divides the numerator of a nonzero result.
 *
 * <p>Residues are held as binary64 integers in [-h, h], h = (p - 1) / 2, so a product of two is below 2^30 and a sum of
 * up to {@link #MAX_TERMS} products stays below 2^53: exact in binary64 whatever the order of the additions. That is
 * what lets a backend's fp64 GEMMs compute exact dot products of residues.
 */
public final class PrimeField {
    /**
     * The two primes the zones use. 2 has order 32759 and 32723 modulo them, more than binary64's exponent span
     * (2097), so two binary64 values that differ only by a power of two never share a residue.
     */
    public static final PrimeField P1 = new PrimeField(65519), P2 = new PrimeField(65447);

    /** Products one exact sum may hold: h^2 * MAX_TERMS <= 2^53 for both primes. */
    public static final long MAX_TERMS = (1L << 53) / (32759L * 32759L);

    private static final int MIN_EXPONENT = -1074, MAX_EXPONENT = 971; // of 2^e in x = m * 2^e, |m| < 2^53

    private final int p;
    private final double pd, inverseP, half;
    private final double[] powersOfTwo; // 2^e mod p for e in [MIN_EXPONENT, MAX_EXPONENT]

    PrimeField(int p) {
        if (p < 3 || p >= 1 << 16 || !java.math.BigInteger.valueOf(p).isProbablePrime(50)) {
            throw new IllegalArgumentException(p + " is not an odd prime below 2^16");
        }
        this.p = p;
        this.pd = p;
        this.inverseP = 1.0 / p;
        this.half = (p - 1) / 2;
        powersOfTwo = new double[MAX_EXPONENT - MIN_EXPONENT + 1];
        long up = 1, down = 1, inverseTwo = (p + 1) / 2;
        for (int e = 0; e <= MAX_EXPONENT; e++, up = up * 2 % p) powersOfTwo[e - MIN_EXPONENT] = reduce(up);
        for (int e = 0; e >= MIN_EXPONENT; e--, down = down * inverseTwo % p) powersOfTwo[e - MIN_EXPONENT] = reduce(down);
    }

    public int prime() { return p; }

    /**
     * v mod p in [-h, h], for an integer v with |v| <= 2^53. The quotient is rounded from an inexact v / p, but
     * v - q * p is exact (both below 2^53), and is at most one p out of range, which the last step mends.
     */
    public double reduce(double v) {
        double r = v - pd * Math.rint(v * inverseP);
        return r > half ? r - pd : r < -half ? r + pd : r;
    }

    public void reduceInPlace(double[] v) {
        for (int i = 0; i < v.length; i++) v[i] = reduce(v[i]);
    }

    public double add(double a, double b) { return reduce(a + b); }

    public double multiply(double a, double b) { return reduce(a * b); }

    /** The residue of an integer (a window size, a count). */
    public double of(long n) { return reduce((double) (n % p)); }

    /** 1 / a for a residue a != 0 (a^(p-2), Fermat). */
    public double inverse(double a) {
        if (a == 0) throw new ArithmeticException("0 has no inverse modulo " + p);
        double r = 1, b = a;
        for (int e = p - 2; e > 0; e >>= 1, b = multiply(b, b)) if ((e & 1) != 0) r = multiply(r, b);
        return r;
    }

    /**
     * The residue of a binary64 value: x = m * 2^e with m an integer below 2^53, so x mod p = (m mod p)(2^e mod p).
     * NaN and infinities have none: the caller checks {@link Double#isFinite} first.
     */
    public double residue(double x) {
        long bits = Double.doubleToRawLongBits(x);
        int biased = (int) (bits >>> 52) & 0x7ff;
        long m = bits & 0xfffffffffffffL;
        if (biased == 0) biased = 1; // subnormal (or zero): m * 2^-1074
        else m |= 1L << 52;
        double r = multiply(reduce(m), powersOfTwo[biased - 1075 - MIN_EXPONENT]); // x = m * 2^(biased - 1075)
        return bits < 0 ? -r : r;
    }

    @Override
    public String toString() { return "Z/" + p; }
}
