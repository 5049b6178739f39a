package io.tiebreak.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import io.tiebreak.runtime.zones.ModularBackend;
import io.tiebreak.runtime.zones.PrimeField;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The zones' exact test on the CUDA backend (kernels in the host emulator): its fp64 GEMM kernels applied to residues
 * give the CPU backend's exact integer sums, whatever order each sums in, so both backends' residues are equal.
 */
@Tag("slow")
class ExactTestEmulatedTest {
    private static final PrimeField F = PrimeField.P2;

    private record Grads(double[] dx, double[] dw, double[] db) {}

    private static Grads conv(Backend b, double[] x, double[] w, double[] dyResidues, ConvGeometry g, int n, int h) {
        ModularBackend exact = new ModularBackend(b);
        int o = g.outChannels(), c = g.inChannels(), k = g.kernelH(), ho = g.outH(h);
        Tensor dx = b.zeros(Precision.FP64, n, c, h, h), dw = b.zeros(Precision.FP64, o, c, k, k);
        Tensor db = b.zeros(Precision.FP64, o);
        assertTrue(exact.exactly(F, () -> exact.conv2dBackward(b.upload(Precision.FP64, new int[] {n, c, h, h}, x),
                b.upload(Precision.FP64, new int[] {o, c, k, k}, w), b.upload(Precision.FP64, new int[] {n, o, ho, ho},
                        dyResidues), g, dx, dw, db)));
        return new Grads(b.download(dx), b.download(dw), b.download(db));
    }

    private static Grads linear(Backend b, double[] x, double[] w, double[] dyResidues, int n, int in, int out) {
        ModularBackend exact = new ModularBackend(b);
        Tensor dx = b.zeros(Precision.FP64, n, in), dw = b.zeros(Precision.FP64, out, in), db = b.zeros(Precision.FP64, out);
        assertTrue(exact.exactly(F, () -> exact.linearBackward(b.upload(Precision.FP64, new int[] {n, in}, x),
                b.upload(Precision.FP64, new int[] {out, in}, w), b.upload(Precision.FP64, new int[] {n, out}, dyResidues),
                dx, dw, db)));
        return new Grads(b.download(dx), b.download(dw), b.download(db));
    }

    @Test
    void convolutionAndLinearResiduesAreTheCpuBackends() {
        assumeTrue(HostEmulator.available(), () -> "no host emulator: " + HostEmulator.failure());
        Rng rng = Rng.of(11, "exact-gpu");
        try (EmulatedDevice device = new EmulatedDevice(1L << 30);
             CudaBackend gpu = new CudaBackend(device, "cuda-emulator");
             CpuBackend cpu = new CpuBackend(2)) {
            for (ConvGeometry g : List.of(ConvGeometry.square(3, 16, 3, 1, 1), ConvGeometry.square(16, 32, 3, 2, 1))) {
                int n = 4, h = 12, ho = g.outH(h);
                double[] x = values(rng, n * g.inChannels() * h * h), w = values(rng, g.outChannels() * g.patchSize());
                double[] dy = residues(rng, n * g.outChannels() * ho * ho);
                Grads onGpu = conv(gpu, x, w, dy, g, n, h), onCpu = conv(cpu, x, w, dy, g, n, h);
                assertArrayEquals(onCpu.dx(), onGpu.dx(), "dx of " + g);
                assertArrayEquals(onCpu.dw(), onGpu.dw(), "dw of " + g);
                assertArrayEquals(onCpu.db(), onGpu.db(), "db of " + g);
            }
            double[] x = values(rng, 8 * 300), w = values(rng, 10 * 300), dy = residues(rng, 8 * 10);
            Grads onGpu = linear(gpu, x, w, dy, 8, 300, 10), onCpu = linear(cpu, x, w, dy, 8, 300, 10);
            assertArrayEquals(onCpu.dx(), onGpu.dx());
            assertArrayEquals(onCpu.dw(), onGpu.dw());
            assertArrayEquals(onCpu.db(), onGpu.db());
        }
    }

    private static double[] values(Rng rng, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.normal();
        return v;
    }

    private static double[] residues(Rng rng, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = F.residue(rng.normal());
        return v;
    }
}
