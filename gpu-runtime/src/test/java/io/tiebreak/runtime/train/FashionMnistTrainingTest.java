package io.tiebreak.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.InMemoryImages;
import io.tiebreak.runtime.data.MnistFamily;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.optim.Schedule;
import io.tiebreak.runtime.precision.Precision;
import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** LeNet-5 learns the real Fashion-MNIST: at least 85% test accuracy in fp32 with SGD within 3 epochs. */
@Tag("slow")
class FashionMnistTrainingTest {

    @Test
    void lenet5ReachesEightyFivePercentInThreeEpochs() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(MnistFamily.DEBIAN_FASHION_MNIST),
                "Fashion-MNIST not installed: apt-get install dataset-fashion-mnist (CI installs it)");
        InMemoryImages train = MnistFamily.load(MnistFamily.DEBIAN_FASHION_MNIST, true);
        InMemoryImages test = MnistFamily.load(MnistFamily.DEBIAN_FASHION_MNIST, false);
        assertEquals(60000, train.size());
        assertEquals(10000, test.size());
        TrainConfig cfg = new TrainConfig(new ModelSpec(ModelSpec.Network.LENET5, false, 1, 28, 28, 10), Precision.FP32,
                PoolPolicy.FIRST, 0, OptimizerSpec.studySgd(), Schedule.cosine(), 0.05, 128, 100, 3, 0,
                Normalization.half(1), Augmentation.NONE);
        RunResult r;
        try (CpuBackend cpu = CpuBackend.allCores()) {
            r = new Trainer(cfg, cpu).run(train, test, CheckpointStore.NONE, m -> System.out.println(m));
        }
        assertEquals(RunResult.Status.COMPLETED, r.status(), r.reason());
        assertTrue(r.finalTestAccuracy() >= 0.85, "final test accuracy " + r.finalTestAccuracy());
    }
}
