package io.tiebreak.runtime.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Precision.Format;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Sums over micro-batches held by several devices (CPU backends on threads of their own) are the tree sum of all
 * the micro-batches' partials, rounded once: the same bits however many devices hold them.
 */
class ReductionTest {

    /** Partials of micro-batch i: values spanning magnitudes, so that the order of additions shows in the bits. */
    private static double[] partial(int i, int n) {
        Rng rng = Rng.of(i, "partial");
        double[] v = new double[n];
        for (int j = 0; j < n; j++) v[j] = rng.normal() * Math.pow(10, rng.nextInt(9) - 4);
        return v;
    }

    /** The expected sum: the tree of every micro-batch's partial, each element added in binary32, rounded to out. */
    private static double[] expected(int k, int n, Format out) {
        double[] r = new double[n];
        for (int j = 0; j < n; j++) {
            double[] leaves = new double[k];
            for (int i = 0; i < k; i++) leaves[i] = (float) partial(i, n)[j];
            r[j] = out.round(MicroBatchTree.sum(leaves, Format.SINGLE));
        }
        return r;
    }

    private static double[] reduce(Precision p, int samples, int batch, int micro, int devices, int n, Format format)
            throws Exception {
        List<double[]> results = OnDevices.run(devices, (rank, exchange) -> {
            try (CpuBackend cpu = new CpuBackend(1)) {
                Share share = Share.of(samples, batch, micro, devices, rank);
                Tensor[] parts = new Tensor[share.count()];
                for (int i = 0; i < parts.length; i++) {
                    parts[i] = cpu.upload(p.accumulation(), new int[] {n}, partial(share.first() + i, n));
                }
                Tensor dst = cpu.zeros(p, n);
                new Reduction(cpu, exchange).sum(share, parts, dst, format);
                return cpu.download(dst);
            }
        });
        for (double[] r : results) assertArrayEquals(results.get(0), r, "every device ends with the same sum");
        return results.get(0);
    }

    @ParameterizedTest
    @CsvSource({
        "FP32, 128, 16, SINGLE", // 8 micro-batches: blocks of 8, 4, 2 and 1 are subtrees
        "FP16, 128, 16, HALF",   // binary32 partials, one rounding to binary16
        "MIXED, 96, 16, HALF",   // 6 micro-batches: blocks of 3 cut the tree; binary16 values stored in binary32
        "FP32, 100, 17, SINGLE", // the last micro-batch shorter
    })
    void theSumIsTheTreeOfAllPartialsWhateverTheDeviceCount(Precision p, int batch, int micro, Format format)
            throws Exception {
        int k = (batch + micro - 1) / micro, n = 301;
        double[] want = expected(k, n, format);
        for (int devices = 1; devices <= k; devices++) {
            if (k % devices != 0) continue;
            assertArrayEquals(want, reduce(p, batch, batch, micro, devices, n, format), devices + " devices");
        }
    }

    @Test
    void devicesHoldingNoneOfTheLastBatchStillEndWithItsSum() throws Exception {
        // batch 128 in micro-batches of 16 on 4 devices; the last batch has 40 samples: micro-batches 0-2 on devices 0-1
        double[] want = expected(3, 50, Format.SINGLE);
        assertArrayEquals(want, reduce(Precision.FP32, 40, 128, 16, 4, 50, Format.SINGLE));
    }

    @Test
    void valuesAndCountsAreSummedOverTheDevices() throws Exception {
        List<double[]> r = OnDevices.run(3, (rank, exchange) -> {
            try (CpuBackend cpu = new CpuBackend(1)) {
                Share share = Share.of(96, 96, 16, 3, rank);
                double[] losses = new double[share.count()];
                for (int i = 0; i < losses.length; i++) losses[i] = (float) (0.1 * (share.first() + i) + 1e-7);
                Reduction red = new Reduction(cpu, exchange);
                return new double[] {red.sum(share, losses, Format.SINGLE), red.count(share, rank + 1)};
            }
        });
        double[] leaves = new double[6];
        for (int i = 0; i < 6; i++) leaves[i] = (float) (0.1 * i + 1e-7);
        for (double[] v : r) {
            assertEquals(MicroBatchTree.sum(leaves, Format.SINGLE), v[0]);
            assertEquals(6, v[1]);
        }
    }

    @Test
    void aDeviceThatFailsReleasesTheOthers() {
        var e = assertThrows(ExecutionException.class, () -> OnDevices.run(2, (rank, exchange) -> {
            if (rank == 1) {
                ((LocalExchange) exchange).abort();
                throw new IllegalStateException("device 1 failed");
            }
            return exchange.replicas() + new Reduction(null, exchange).count(Share.of(64, 64, 32, 2, 0), 1);
        }));
        assertTrue(e.getCause() instanceof IllegalStateException, e.toString());
    }
}
