package io.tiebreak.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.InMemoryImages;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.check.TrainingParity;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.optim.Schedule;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.train.CheckpointStore;
import io.tiebreak.runtime.train.RunResult;
import io.tiebreak.runtime.train.TrainConfig;
import io.tiebreak.runtime.train.Trainer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One run on two emulated GPUs (the CUDA kernels in the host emulator, partials exchanged through the host) ends on
 * the bits of the same run on one: docs/design.md, "Data parallelism". Batch norm, the micro-batch kernels and the
 * partial weight gradients all run.
 */
@Tag("slow")
class DataParallelEmulatedTest {

    private static List<Supplier<Backend>> gpus(int n) {
        List<Supplier<Backend>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = "cuda-emulator:" + i;
            out.add(() -> new CudaBackend(new EmulatedDevice(1L << 30), name));
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FP32", "FP16", "MIXED"})
    void aRunOnTwoEmulatedGpusEndsOnTheBitsOfOne(Precision p) throws IOException {
        assumeTrue(HostEmulator.available(), () -> "no host emulator: " + HostEmulator.failure());
        // Two steps of batches of 8 in micro-batches of 2 (the emulator is slow: small on purpose). Under mixed the loss
        // scaler skips the first steps (their scaled binary16 gradients overflow) until its scale fits: eight steps,
        // so that some are taken (an epoch without one is a divergence).
        int steps = p == Precision.MIXED ? 8 : 2;
        InMemoryImages train = TrainingParity.synthetic(8 * steps, 1, 28, 1), test = TrainingParity.synthetic(8, 1, 28, 2);
        TrainConfig cfg = new TrainConfig(new ModelSpec(ModelSpec.Network.LENET5, true, 1, 28, 28, 10), p,
                PoolPolicy.beta(1000, PoolPolicy.Form.COMPOSITE), 0, OptimizerSpec.studySgd(), Schedule.constant(), 0.05,
                8, 8, 1, 3, Normalization.half(1), Augmentation.NONE).withMicroBatch(2);
        RunResult one = new Trainer(cfg, gpus(1)).run(train, test, CheckpointStore.NONE, m -> {});
        RunResult two = new Trainer(cfg, gpus(2)).run(train, test, CheckpointStore.NONE, m -> {});
        assertEquals(RunResult.Status.COMPLETED, one.status(), one.reason());
        assertTrue(one.epochs().get(0).nonFiniteSteps() < steps, "some step was taken");
        assertEquals(one.digest(), two.digest());
        assertEquals(one.epochs().get(0).withSeconds(0), two.epochs().get(0).withSeconds(0));
    }
}
