package io.tiebreak.runtime.zones;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.random.Rng;
import java.math.BigDecimal;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** Residues of binary64 values are those of the exact rationals, and the bounds that keep GEMMs exact hold. */
class PrimeFieldTest {
    private static final PrimeField[] FIELDS = {PrimeField.P1, PrimeField.P2};

    /** The residue of an exact decimal (every binary64 value, and sums and products of them, is one). */
    static double residueOf(BigDecimal v, PrimeField f) {
        BigInteger p = BigInteger.valueOf(f.prime());
        BigInteger num = v.unscaledValue().mod(p), ten = BigInteger.TEN.modPow(BigInteger.valueOf(v.scale()), p);
        long r = num.multiply(ten.modInverse(p)).mod(p).longValueExact();
        return f.reduce(r);
    }

    /** Doubles across the whole range: normal, subnormal, negative, powers of two, small integers. */
    private static double sample(Rng rng) {
        switch (rng.nextInt(5)) {
            case 0: return Double.longBitsToDouble(rng.nextLong() & 0x7fefffffffffffffL) * (rng.nextBoolean() ? 1 : -1);
            case 1: return Double.MIN_VALUE * (1 + rng.nextInt(1 << 20)) * (rng.nextBoolean() ? 1 : -1);
            case 2: return Math.scalb(1.0, rng.nextInt(2000) - 1000);
            case 3: return rng.nextInt(200_000) - 100_000;
            default: return rng.normal();
        }
    }

    @Test
    void residuesAreThoseOfTheExactRationals() {
        Rng rng = Rng.of(1, "residues");
        for (PrimeField f : FIELDS) {
            for (int i = 0; i < 2000; i++) {
                double a = sample(rng), b = sample(rng);
                BigDecimal ea = new BigDecimal(a), eb = new BigDecimal(b);
                assertEquals(residueOf(ea, f), f.residue(a), "residue of " + a);
                assertEquals(residueOf(ea.multiply(eb), f), f.multiply(f.residue(a), f.residue(b)), a + " * " + b);
                assertEquals(residueOf(ea.add(eb), f), f.add(f.residue(a), f.residue(b)), a + " + " + b);
            }
        }
    }

    @Test
    void reduceMapsEveryIntegerUpTo2To53IntoTheSymmetricRange() {
        Rng rng = Rng.of(2, "reduce");
        for (PrimeField f : FIELDS) {
            int h = (f.prime() - 1) / 2;
            for (int i = 0; i < 100_000; i++) {
                long v = (rng.nextLong() >> 11) + (i % 3 == 0 ? f.prime() / 2 : 0); // |v| <= 2^53
                double r = f.reduce(v);
                assertTrue(Math.abs(r) <= h && r == Math.rint(r), v + " -> " + r);
                assertEquals(Math.floorMod(v, f.prime()), Math.floorMod((long) r, f.prime()), "residue of " + v);
            }
            assertEquals(0, f.reduce(9007199254740992.0 - 9007199254740992.0 % f.prime()));
        }
    }

    @Test
    void theLargestExactSumFitsInBinary64() {
        for (PrimeField f : FIELDS) {
            long h = (f.prime() - 1) / 2;
            assertTrue(BigInteger.valueOf(h * h).multiply(BigInteger.valueOf(PrimeField.MAX_TERMS))
                    .compareTo(BigInteger.ONE.shiftLeft(53)) <= 0);
        }
        assertTrue(PrimeField.MAX_TERMS >= 1 << 23, "a batch of 8192 images of 32x32 still sums exactly");
    }

    @Test
    void valuesThatDifferByAPowerOfTwoHaveDifferentResidues() {
        for (PrimeField f : FIELDS) {
            assertTrue(BigInteger.valueOf(f.prime()).isProbablePrime(50));
            long order = 1;
            for (long x = 2; x != 1; x = x * 2 % f.prime()) order++;
            assertTrue(order > 2097, "2 has order " + order + " modulo " + f.prime());
            for (int e = -1074; e <= 1023; e++) {
                if (e != 0) assertNotEquals(f.residue(1.0), f.residue(Math.scalb(1.0, e)), "2^" + e + " vs 1");
            }
        }
    }

    @Test
    void inversesAndTheirAbsence() {
        for (PrimeField f : FIELDS) {
            for (int k = 1; k <= 64; k++) assertEquals(1, f.multiply(f.of(k), f.inverse(f.of(k))));
            assertThrows(ArithmeticException.class, () -> f.inverse(0));
            assertThrows(ArithmeticException.class, () -> f.inverse(f.of(f.prime())));
        }
        assertThrows(IllegalArgumentException.class, () -> new PrimeField(65535));
    }
}
