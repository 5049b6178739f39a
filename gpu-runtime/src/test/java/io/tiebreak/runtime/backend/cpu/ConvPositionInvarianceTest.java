package io.tiebreak.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Reproducibility;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Equal input patches give bit-equal convolution outputs wherever they sit in the batch. Max-pool ties come from
 * exactly this (flat image regions), so an output that depends on its position breaks ties that PyTorch keeps and
 * changes every tie count and policy gradient downstream (TorchDifferentialTest, VGG11 fp64).
 *
 * <p>The portable mode promises it on every machine (each output's sum is computed the same way wherever it sits).
 * The host mode cannot: OpenBLAS's Haswell kernels (also picked on AMD Zen) compute the first and last 8 columns of
 * every call differently from the rest (run this test with OPENBLAS_CORETYPE=Haswell and mode HOST to see it), so
 * it holds there only on the SkylakeX and Cooperlake kernels, whose edges the column alignment avoids.
 */
class ConvPositionInvarianceTest {

    /**
     * VGG11's first layer (3 -> 64, 3x3, pad 1) on flat images: every interior patch is equal. 8 images of 32x32
     * give a multiple of the GEMM column alignment; 3 of 7x7 (147 positions) do not.
     */
    @ParameterizedTest
    @CsvSource({"FP64, 8, 32", "FP32, 8, 32", "FP64, 3, 7", "FP32, 3, 7", "FP16, 5, 9"})
    void equalPatchesGiveEqualOutputs(Precision precision, int n, int hw) {
        int cin = 3, cout = 64;
        ConvGeometry g = ConvGeometry.square(cin, cout, 3, 1, 1);
        try (CpuBackend backend = new CpuBackend(2, Reproducibility.PORTABLE)) {
            double[] x = new double[n * cin * hw * hw];
            for (int i = 0; i < x.length; i++) x[i] = 0.25 * (1 + (i / (hw * hw)) % cin); // constant per channel
            double[] w = new double[cout * g.patchSize()];
            Rng rng = Rng.of(7, "conv-weights");
            for (int i = 0; i < w.length; i++) w[i] = rng.uniform(-0.2, 0.2);
            Tensor y = backend.zeros(precision, n, cout, hw, hw);
            backend.conv2dForward(backend.upload(precision, new int[] {n, cin, hw, hw}, x),
                    backend.upload(precision, new int[] {cout, cin, 3, 3}, w), null, g, y);
            double[] out = backend.download(y);

            int differing = 0;
            String first = null;
            for (int o = 0; o < cout; o++) {
                double ref = out[(o * hw + 1) * hw + 1]; // image 0, position (1, 1)
                for (int img = 0; img < n; img++) {
                    for (int r = 1; r < hw - 1; r++) {
                        for (int c = 1; c < hw - 1; c++) {
                            double v = out[((img * cout + o) * hw + r) * hw + c];
                            if (v != ref && differing++ == 0) {
                                first = "image " + img + ", channel " + o + ", position (" + r + ", " + c + "): " + v
                                        + " vs " + ref + " at image 0 (1, 1)";
                            }
                        }
                    }
                }
            }
            assertEquals(0, differing, precision.id() + ": interior outputs that differ from the same patch elsewhere"
                    + " (first: " + first + ")");
        }
    }
}
