package io.tiebreak.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.check.TrainingParity;
import io.tiebreak.runtime.data.InMemoryImages;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.precision.Precision;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The runtime's Trainer, unchanged, on the CUDA backend (kernels in the host emulator) against the CPU backend. */
@Tag("slow")
class TrainingParityEmulatedTest {
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FP32", "FP16"}) // each takes ~30 s in the emulator
    void leNet5EpochsMatchTheCpuRun(Precision p) throws IOException {
        assumeTrue(HostEmulator.available(), () -> "no host emulator: " + HostEmulator.failure());
        InMemoryImages train = TrainingParity.synthetic(128, 1, 28, 1), test = TrainingParity.synthetic(100, 1, 28, 2);
        PoolPolicy policy = p == Precision.FP16 ? PoolPolicy.beta(1000, PoolPolicy.Form.COMPOSITE) : PoolPolicy.MIN_NORM;
        List<TrainingParity.Row> rows;
        try (EmulatedDevice device = new EmulatedDevice(1L << 30);
             CudaBackend gpu = new CudaBackend(device, "cuda-emulator");
             CpuBackend cpu = new CpuBackend(2)) {
            rows = TrainingParity.compare("lenet5 " + p.id(), TrainingParity.config(train, ModelSpec.Network.LENET5, p, policy, 2),
                    train, test, gpu, cpu);
        }
        rows.forEach(r -> TrainingParity.print(new PrintStream(System.out, true, StandardCharsets.UTF_8), r));
        assertEquals(2, rows.size());
        assertTrue(rows.stream().allMatch(TrainingParity.Row::passed), rows.toString());
    }
}
