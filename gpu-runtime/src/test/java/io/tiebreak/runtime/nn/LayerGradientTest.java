package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.random.Rng;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every op's backward is the derivative of its forward (fp64 finite differences, points without ties). */
class LayerGradientTest {
    private final CpuBackend cpu = new CpuBackend(2);
    private final ActivationPattern pattern = ActivationPattern.watching(cpu);
    private final Context ctx = new Context(pattern.backend(), Precision.FP64);
    private final Rng rng = Rng.of(3, "layers");

    @AfterEach
    void close() { cpu.close(); }

    @Test
    void conv2dWithStridePaddingAndBias() {
        GradientCheck.checkLayer(pattern, ctx, new Conv2d(ctx, "c", new ConvGeometry(3, 4, 3, 2, 2, 1, 1, 0), true,
                Init.Scheme.PYTORCH_DEFAULT, rng), new int[] {2, 3, 7, 6}, 1);
    }

    @Test
    void conv2dWithoutBiasKaiming() {
        GradientCheck.checkLayer(pattern, ctx, new Conv2d(ctx, "c", ConvGeometry.square(2, 3, 1, 2, 0), false,
                Init.Scheme.KAIMING_NORMAL_FAN_OUT, rng), new int[] {3, 2, 5, 5}, 2);
    }

    @Test
    void conv2dWithFewInputChannelsAndWholeTilesOfPixels() {
        // 8x8 outputs (a multiple of the GEMM column alignment) and 2*9 patch rows: the per-image-chunk path.
        GradientCheck.checkLayer(pattern, ctx, new Conv2d(ctx, "c", ConvGeometry.square(2, 5, 3, 1, 1), true,
                Init.Scheme.PYTORCH_DEFAULT, rng), new int[] {3, 2, 8, 8}, 14);
    }

    @Test
    void linear() {
        GradientCheck.checkLayer(pattern, ctx, new Linear(ctx, "fc", 7, 5, rng), new int[] {4, 7}, 3);
    }

    @Test
    void reluAwayFromZero() {
        GradientCheck.checkLayer(pattern, ctx, new Relu(ctx, 0.5), new int[] {3, 10}, 4);
    }

    @Test
    void maxPoolEveryPolicyAwayFromTies() {
        for (PoolPolicy p : List.of(PoolPolicy.FIRST, PoolPolicy.LAST, PoolPolicy.MIN_NORM, PoolPolicy.ALL,
                PoolPolicy.beta(1000, PoolPolicy.Form.EXACT))) {
            GradientCheck.checkLayer(pattern, ctx, new MaxPool2d(ctx, "pool", new PoolGeometry(3, 2, 1), p), new int[] {2, 2, 7, 7}, 5);
        }
        // Composite beta:B has forward B*m + (1-B)*m = m, so its gradient is again the max's.
        GradientCheck.checkLayer(pattern, ctx, new MaxPool2d(ctx, "pool", new PoolGeometry(2, 2, 0),
                PoolPolicy.beta(10, PoolPolicy.Form.COMPOSITE)), new int[] {2, 2, 6, 6}, 6);
    }

    @Test
    void averagePools() {
        GradientCheck.checkLayer(pattern, ctx, new AvgPool2d(ctx, new PoolGeometry(3, 2, 1)), new int[] {2, 3, 7, 5}, 7);
        GradientCheck.checkLayer(pattern, ctx, new AdaptiveAvgPool2d(ctx, 3, 2), new int[] {2, 3, 5, 7}, 8);
    }

    @Test
    void batchNormTrainingMode() {
        GradientCheck.checkLayer(pattern, ctx, new BatchNorm(ctx, "bn", 3), new int[] {4, 3, 3, 2}, 9);
        GradientCheck.checkLayer(pattern, ctx, new BatchNorm(ctx, "bn1d", 5), new int[] {6, 5}, 10);
    }

    @Test
    void residualBlockWithProjectionAndIdentity() {
        Layer branch = new Sequential(List.of(
                new Conv2d(ctx, "a", ConvGeometry.square(3, 4, 3, 2, 1), false, Init.Scheme.KAIMING_NORMAL_FAN_OUT, rng),
                new BatchNorm(ctx, "bn", 4)));
        Layer shortcut = new Conv2d(ctx, "s", ConvGeometry.square(3, 4, 1, 2, 0), false, Init.Scheme.KAIMING_NORMAL_FAN_OUT, rng);
        GradientCheck.checkLayer(pattern, ctx, new Residual(ctx, branch, shortcut, new Relu(ctx, 0)), new int[] {2, 3, 6, 6}, 11);
        Layer same = new Conv2d(ctx, "b", ConvGeometry.square(3, 3, 3, 1, 1), true, Init.Scheme.PYTORCH_DEFAULT, rng);
        GradientCheck.checkLayer(pattern, ctx, new Residual(ctx, same, null, new Relu(ctx, 0)), new int[] {2, 3, 4, 4}, 12);
    }

    @Test
    void denseLayersConcatenatedAsInADenseBlock() {
        // Two dense layers: the second sees the input and the first's features, and x's gradient flows both ways.
        Layer first = new Concat(ctx, new Sequential(List.of(new Relu(ctx, 0),
                new Conv2d(ctx, "l1", ConvGeometry.square(3, 2, 3, 1, 1), false, Init.Scheme.KAIMING_NORMAL_FAN_IN, rng))));
        Layer second = new Concat(ctx, new Conv2d(ctx, "l2", ConvGeometry.square(5, 4, 1, 1, 0), false,
                Init.Scheme.KAIMING_NORMAL_FAN_IN, rng));
        GradientCheck.checkLayer(pattern, ctx, new Sequential(List.of(first, second)), new int[] {2, 3, 4, 5}, 15);
    }

    @Test
    void flattenIsAReshape() {
        GradientCheck.checkLayer(pattern, ctx, new Sequential(List.of(new Flatten(), new Linear(ctx, "fc", 12, 3, rng))),
                new int[] {2, 3, 2, 2}, 13);
    }
}
