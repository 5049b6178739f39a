package io.tiebreak.runtime.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec.Network;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Dropping a model's activation buffers between steps changes no bit of its loss, gradients or tie counts. */
class ModelBuffersTest {
    private final CpuBackend cpu = new CpuBackend(2);

    @AfterEach
    void close() { cpu.close(); }

    @ParameterizedTest
    @CsvSource({"lenet5, true, 1, 28, fp16", "resnet18, true, 3, 32, fp32", "vgg11, false, 3, 32, fp64"})
    void releasedBuffersGiveTheSameStepAsKeptOnes(String network, boolean bn, int channels, int size, String precision) {
        Precision p = Precision.parse(precision);
        ModelSpec spec = new ModelSpec(Network.parse(network), bn, channels, size, size, 10);
        Model kept = Models.build(spec, new Context(cpu, p), PoolPolicy.MIN_NORM, 0, 7);
        Model released = Models.build(spec, new Context(cpu, p), PoolPolicy.MIN_NORM, 0, 7);
        Rng rng = Rng.of(3, "inputs");
        for (int step = 0; step < 2; step++) {
            double[] x = new double[4 * channels * size * size];
            for (int i = 0; i < x.length; i++) x[i] = Math.floor(rng.normal() * 4) / 4; // ties in the pools
            int[] labels = {1, 3, 5, 7};
            Tensor t = cpu.zeros(p, 4, channels, size, size);
            cpu.write(t, x);
            double lossKept = kept.lossAndGradients(t, labels, 1).loss();
            double lossReleased = released.lossAndGradients(t, labels, 1).loss();
            released.releaseBuffers();
            assertEquals(lossKept, lossReleased, 0, "loss, step " + step);
            for (int i = 0; i < kept.trainable().size(); i++) {
                Parameter a = kept.trainable().get(i), b = released.trainable().get(i);
                assertArrayEquals(cpu.download(a.grad()), cpu.download(b.grad()), 0, a.name() + ", step " + step);
            }
            for (int i = 0; i < kept.pools().size(); i++) {
                assertEquals(kept.pools().get(i).lastTies(), released.pools().get(i).lastTies(), "ties, step " + step);
            }
        }
    }
}
