package io.tiebreak.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.check.SelfTest;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The self-test on a real GPU (cuda:0); skipped where none can be opened. */
class CudaGpuTest {
    @Test
    void selfTestPassesOnTheGpu() {
        CudaBackend gpu;
        try {
            gpu = CudaBackend.open(0);
        } catch (CudaUnavailableException e) {
            assumeTrue(false, "no GPU: " + e.getMessage());
            return;
        }
        try (CudaBackend g = gpu; CpuBackend cpu = CpuBackend.allCores()) {
            List<SelfTest.Row> rows = new SelfTest(g, cpu, 3, new PrintStream(System.out, true, StandardCharsets.UTF_8)).runAll();
            assertEquals("", rows.stream().filter(r -> !r.passed()).map(Object::toString).collect(Collectors.joining("\n")));
        }
    }
}
