package io.tiebreak.runtime.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec.Network;
import io.tiebreak.runtime.nn.ActivationPattern;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.nn.GradientCheck;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every model's loss gradient matches finite differences in fp64 (with and without batch-norm), away from kinks. */
class ModelGradientTest {
    private final CpuBackend cpu = new CpuBackend(2);

    @AfterEach
    void close() { cpu.close(); }

    @ParameterizedTest(name = "{0} bn={1} {2}x{3}x{3}")
    @CsvSource({
        "lenet5, false, 1, 28", "lenet5, true, 1, 28", "lenet5, false, 3, 32",
        "vgg11, false, 3, 32", "vgg11, true, 3, 32", "vgg13, true, 3, 32", "vgg16, false, 1, 32", "vgg19, true, 3, 32",
        "resnet18, true, 3, 32", "resnet18, false, 3, 32", "resnet34, true, 3, 32", "resnet50, true, 3, 32",
        "resnet18, true, 3, 64", "densenet121, false, 3, 32", "densenet121, true, 3, 32"})
    void lossGradientMatchesFiniteDifferences(String network, boolean bn, int channels, int size) {
        ModelSpec spec = new ModelSpec(Network.parse(network), bn, channels, size, size, 7);
        ActivationPattern pattern = ActivationPattern.watching(cpu);
        Model model = Models.build(spec, new Context(pattern.backend(), Precision.FP64), PoolPolicy.MIN_NORM, 0, 42);
        Rng rng = Rng.of(5, network);
        int batch = 3;
        Tensor x = cpu.upload(Precision.FP64, new int[] {batch, channels, size, size},
                GradientCheck.random(batch * channels * size * size, rng));
        int[] labels = {1, 6, 3};
        double loss = model.lossAndGradients(x, labels, 1).loss();
        assertTrue(loss > 0 && Double.isFinite(loss));
        List<Parameter> trainable = model.trainable();
        // First and last layers, and one in the middle: each gradient path is exercised.
        for (Parameter p : List.of(trainable.get(0), trainable.get(trainable.size() / 2), trainable.get(trainable.size() - 1))) {
            double[] grad = cpu.download(p.grad());
            GradientCheck.check(pattern, p.name(), p.value(), grad,
                    () -> cpu.softmaxCrossEntropy(model.forward(x, true), labels, 1, null).loss(), 4, rng);
        }
    }

    /** DenseNet121's counts are PyTorch's for the study's models/densenet.py (norm_layer BatchNorm2d), 10 classes. */
    @ParameterizedTest
    @CsvSource({"lenet5, 28, 44426", "vgg11, 32, 9231114", "resnet18, 32, 11173962", "resnet50, 32, 23520842",
        "densenet121, 32, 6882634"})
    void parameterCountsMatchTheUsualDefinitions(String network, int size, long expected) {
        ModelSpec spec = new ModelSpec(Network.parse(network), true, network.equals("lenet5") ? 1 : 3, size, size, 10);
        Model model = Models.build(spec, new Context(cpu, Precision.FP32), PoolPolicy.FIRST, 0, 1);
        long count = model.trainable().stream().mapToLong(p -> p.value().size()).sum();
        long bnLeNet = network.equals("lenet5") ? 2 * (6 + 16 + 120 + 84) : 0;
        assertEquals(expected + bnLeNet, count);
    }
}
