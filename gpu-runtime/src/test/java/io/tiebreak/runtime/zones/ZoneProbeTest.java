package io.tiebreak.runtime.zones;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.Model;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.random.Rng;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Zones by construction. LeNet-5's conv1 is set so that its filter 0 computes out(y,x) = in(y,x) + 2^-11 in(y+1,x)
 * and everything else in conv1 is zero; conv2 has no bias. The only nonzero pooling window is pool1's first one,
 * so the input decides whether its maximum is tied over the reals, only after rounding to binary16, or not at all.
 */
class ZoneProbeTest {
    private static final ModelSpec LENET = new ModelSpec(ModelSpec.Network.LENET5, false, 1, 28, 28, 10);
    private final CpuBackend cpu = new CpuBackend(2);

    @AfterEach
    void close() { cpu.close(); }

    private ZoneProbe probe(Precision p) {
        ZoneProbe probe = new ZoneProbe(cpu, LENET, p, PoolPolicy.FIRST, PoolPolicy.MIN_NORM, 0, 5);
        Model m = probe.modelA();
        double[] w = new double[6 * 25];
        w[0] = 1;          // filter 0, tap (0,0)
        w[5] = 0x1p-11;    // filter 0, tap (1,0)
        cpu.write(m.parameter("conv1.weight").value(), w);
        cpu.fill(m.parameter("conv1.bias").value(), 0);
        cpu.fill(m.parameter("conv2.bias").value(), 0);
        double[] w2 = new double[16 * 6 * 25];
        for (int o = 0; o < 16; o++) w2[o * 150] = 1 + o / 16.0; // conv2 sees pool1's corner, positively
        cpu.write(m.parameter("conv2.weight").value(), w2);
        probe.syncFromA();
        return probe;
    }

    /** An image that is zero except in(0,0)=1, in(0,1)=top, in(1,1)=below. */
    private static float[] image(float top, float below) {
        float[] x = new float[28 * 28];
        x[0] = 1;
        x[1] = top;
        x[28 + 1] = below;
        return x;
    }

    @Test
    void anExactTieBetweenDifferentPatchesIsABifurcation() {
        // out(0,0) = 1 and out(0,1) = 1 + 2^-11 * 0 = 1: tied in every precision, but the 5x5 input patches under the
        // two positions differ, so routing the gradient to one or to both changes conv1's weight gradient.
        for (Precision p : new Precision[] {Precision.FP32, Precision.FP64}) {
            ZoneMeasurement z = probe(p).measure(image(1, 0), new int[] {3});
            assertEquals(Zone.BIFURCATION, z.zone(), p.id());
            assertEquals(Zone.BIFURCATION, z.zoneFp64(), p.id());
            assertTrue(z.realsDiffering() > 0, "the exact test finds the coordinates that differ");
            assertTrue(z.l1() > 0 && z.l1Fp64() > 0);
            assertEquals(6 * 12 * 12, z.ties()[0], "every pool1 window ties: the constructed one, and all-zero ones elsewhere");
        }
    }

    @Test
    void valuesDistinctInFp64ButEqualInBinary16AreACompensation() {
        // out(0,1) = 1 + 2^-11 * 0.5 = 1 + 2^-12: distinct from out(0,0) = 1 in fp64, rounds to 1 in binary16.
        ZoneMeasurement z = probe(Precision.FP16).measure(image(1, 0.5f), new int[] {3});
        assertEquals(Zone.COMPENSATION, z.zone());
        assertEquals(Zone.COMPENSATION, z.zoneFp64(), "the fp64 gradients are bitwise equal too");
        assertEquals(0, z.realsDiffering());
        assertTrue(z.l1() > 0, "the binary16 gradients differ");
        assertEquals(0, z.l1Fp64(), "the fp64 ones do not");
        assertTrue(z.ties()[0] > z.tiesFp64()[0], "a tie in binary16 that fp64 does not have");
        int tap = z.parameters().indexOf("conv1.weight");
        assertTrue(z.layerShare()[tap] > 0, "the difference starts at conv1");
    }

    @Test
    void theSameBatchInFp32HasNoTieAndAgrees() {
        ZoneMeasurement z = probe(Precision.FP32).measure(image(1, 0.5f), new int[] {3});
        assertEquals(Zone.AGREE, z.zone());
        assertEquals(Zone.AGREE, z.zoneFp64());
        assertEquals(-1, z.realsDiffering(), "nothing to test");
        assertEquals(0, z.l1());
        assertTrue(Double.isNaN(z.l1Fp64()), "no fp64 recomputation needed");
    }

    /**
     * Flat images, as Fashion-MNIST's background: every window of every pool ties among positions whose input patches
     * are identical, so over the reals either Jacobian gives the same weight gradients; fp64 sums them in another
     * order and differs in the last bits, which the bitwise verdict took for a bifurcation.
     */
    @Test
    void identicalPatchesAgreeOverTheRealsThoughTheFp64SumsDiffer() {
        float[] flat = new float[2 * 28 * 28];
        java.util.Arrays.fill(flat, 0, 28 * 28, 0.75f);
        java.util.Arrays.fill(flat, 28 * 28, flat.length, -0.3f);
        for (PoolPolicy b : new PoolPolicy[] {PoolPolicy.MIN_NORM, PoolPolicy.beta(1000, PoolPolicy.Form.COMPOSITE)}) {
            for (Precision p : new Precision[] {Precision.FP32, Precision.FP64}) {
                ZoneProbe probe = new ZoneProbe(cpu, LENET, p, PoolPolicy.FIRST, b, 0, 7);
                ZoneMeasurement z = probe.measure(flat, new int[] {4, 1});
                String what = "first vs " + b + " at " + p.id();
                assertTrue(z.tiesFp64()[0] > 0 && z.tiesFp64()[1] > 0, what + ": both pools tie");
                assertTrue(z.l1Fp64() > 0, what + ": the fp64 gradients differ");
                assertEquals(Zone.BIFURCATION, z.zoneFp64(), what);
                assertEquals(0, z.realsDiffering(), what);
                assertEquals(Zone.COMPENSATION, z.zone(), what);
            }
        }
    }

    @Test
    void theBitwiseFp64VerdictNeverGivesACompensationAtFp64() {
        Rng rng = Rng.of(9, "zones");
        ZoneProbe p = new ZoneProbe(cpu, LENET, Precision.FP64, PoolPolicy.FIRST, PoolPolicy.MIN_NORM, 0, 1);
        for (int trial = 0; trial < 20; trial++) {
            float[] x = new float[2 * 28 * 28];
            for (int i = 0; i < x.length; i++) x[i] = rng.nextInt(3) - 1;
            ZoneMeasurement z = p.measure(x, new int[] {rng.nextInt(10), rng.nextInt(10)});
            assertNotEquals(Zone.COMPENSATION, z.zoneFp64());
            assertEquals(z.zone() == Zone.AGREE, z.zoneFp64() == Zone.AGREE, "agree is bitwise at the working precision");
        }
        ZoneProbe constructed = probe(Precision.FP64);
        assertEquals(Zone.BIFURCATION, constructed.measure(image(1, 0), new int[] {3}).zone());
        assertEquals(Zone.AGREE, constructed.measure(image(1, 0.5f), new int[] {3}).zone());
    }
}
