package io.tiebreak.runtime.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** binary16 rounding: every value, every boundary between neighbours, the specials, and binary64 input. */
class HalfTest {

    /** All finite binary16 values in increasing order (negative ones mirror these). */
    private static float[] positiveFinite() {
        float[] v = new float[0x7c00];
        for (int b = 0; b < 0x7c00; b++) v[b] = Half.fromBits((short) b);
        return v;
    }

    @Test
    void everyBinary16ValueRoundTripsExactly() {
        for (int b = 0; b < 0x10000; b++) {
            short h = (short) b;
            float f = Half.fromBits(h);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Half.round(f)), "NaN " + Integer.toHexString(b));
                assertEquals(0x7c00, Half.toBits(f) & 0x7c00, "NaN keeps the all-ones exponent");
                assertTrue((Half.toBits(f) & 0x3ff) != 0, "NaN stays NaN");
                continue;
            }
            assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(Half.round(f)), "round " + Integer.toHexString(b));
            assertEquals(h, Half.toBits(f), "toBits " + Integer.toHexString(b));
            assertEquals(Double.doubleToRawLongBits(f), Double.doubleToRawLongBits(Half.round((double) f)), "double " + Integer.toHexString(b));
        }
    }

    @Test
    void everyBoundaryBetweenNeighboursRoundsToNearestEven() {
        float[] v = positiveFinite();
        for (int i = 0; i + 1 < v.length; i++) {
            float lo = v[i], hi = v[i + 1];
            float mid = (lo + hi) / 2; // exact: binary32 has 13 spare bits
            float even = (i & 1) == 0 ? lo : hi;
            for (float sign : new float[] {1, -1}) {
                assertEquals(sign * even, Half.round(sign * mid), "tie between " + lo + " and " + hi);
                assertEquals(sign * lo, Half.round(sign * Math.nextDown(mid)), "below " + mid);
                assertEquals(sign * hi, Half.round(sign * Math.nextUp(mid)), "above " + mid);
                assertEquals((double) sign * even, Half.round((double) sign * mid));
                assertEquals((double) sign * lo, Half.round(sign * Math.nextDown((double) mid)), "binary64 just below the tie");
                assertEquals((double) sign * hi, Half.round(sign * Math.nextUp((double) mid)), "binary64 just above the tie");
                assertEquals(Half.toBits(sign * even), Half.toBits(sign * mid));
            }
        }
    }

    @Test
    void overflowUnderflowAndSpecials() {
        assertEquals(65504f, Half.round(65519.996f));
        assertEquals(Float.POSITIVE_INFINITY, Half.round(65520f), "the tie above 65504 goes to the even (infinite) side");
        assertEquals(Float.NEGATIVE_INFINITY, Half.round(-1e6f));
        assertEquals(Float.POSITIVE_INFINITY, Half.round(Float.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(Half.round(Float.NaN)));
        assertEquals(0x1p-24f, Half.round(Math.nextUp(0x1p-25f)), "just above half the smallest subnormal rounds up");
        assertEquals(0f, Half.round(0x1p-25f), "half the smallest subnormal ties to zero (even)");
        assertEquals(0x1p-23f, Half.round(0x1.8p-24f), "1.5 x smallest subnormal ties to 2 (even)");
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Half.round(-1e-30f)), "sign of zero kept");
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Half.round(-0f)));
        assertEquals(Half.MIN_NORMAL, Half.round(Math.nextDown(Half.MIN_NORMAL)), "rounds up into the normal range");
        assertEquals(Double.POSITIVE_INFINITY, Half.round(65520.0));
        assertEquals(65504.0, Half.round(Math.nextDown(65520.0)));
        assertEquals(1.0, Half.round(1 + 0x1p-11), "binary64 tie between 1 and 1+2^-10 goes to 1");
        assertEquals(1 + 0x1p-10, Half.round(1 + 0x1p-11 + 0x1p-40), "binary64 just above the tie, not double-rounded via binary32");
    }

    /** The fast path and the integer path agree on every binary32 input: 2^32 values, both cores. */
    @Test
    @Tag("slow")
    void fastAndIntegerRoundingAgreeOnAllBinary32() {
        long mismatches = IntStream.range(0, 1 << 16).parallel().mapToLong(hi -> {
            long bad = 0;
            for (int lo = 0; lo < 1 << 16; lo++) {
                float f = Float.intBitsToFloat(hi << 16 | lo);
                float fast = Half.round(f);
                if (Float.isNaN(f)) {
                    if (!Float.isNaN(fast)) bad++;
                } else if (Float.floatToRawIntBits(fast) != Float.floatToRawIntBits(Half.fromBits(Half.toBits(f)))) {
                    bad++;
                }
            }
            return bad;
        }).sum();
        assertEquals(0, mismatches);
    }
}
