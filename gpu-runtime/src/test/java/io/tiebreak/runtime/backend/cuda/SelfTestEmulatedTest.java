package io.tiebreak.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.check.SelfTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The whole self-test with the kernels running in the host emulator instead of a GPU: the same CUDA sources,
 * launch geometry and arguments, compared with the CPU backend.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SelfTestEmulatedTest {
    private List<SelfTest.Row> rows;
    private Set<String> launched;
    private String table;

    @BeforeAll
    void runSelfTest() {
        assumeTrue(HostEmulator.available(), () -> "no host emulator (g++ missing?): " + HostEmulator.failure());
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try (EmulatedDevice device = new EmulatedDevice(1L << 30);
             CudaBackend gpu = new CudaBackend(device, "cuda-emulator");
             CpuBackend cpu = new CpuBackend(2)) {
            rows = new SelfTest(gpu, cpu, 1, new PrintStream(text, true, StandardCharsets.UTF_8)).runAll();
            launched = new TreeSet<>(device.launched());
        }
        table = text.toString(StandardCharsets.UTF_8);
        try { // kept for reading: the same table `selftest` prints on a GPU
            java.nio.file.Files.writeString(java.nio.file.Path.of(System.getProperty("basedir", "."),
                    "target/cuda-selftest-emulated.txt"), table);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void everyCheckMatchesTheCpuBackend() {
        String failed = rows.stream().filter(r -> !r.passed()).map(Object::toString).collect(Collectors.joining("\n"));
        assertEquals("", failed, table);
        assertTrue(rows.size() > 900, "the self-test shrank to " + rows.size() + " checks");
    }

    @Test
    void theSelfTestLaunchesEveryKernelTheSourcesDefine() {
        Set<String> never = new TreeSet<>(HostEmulator.kernels());
        never.removeAll(launched);
        assertEquals(Set.of(), never, "kernels the self-test never runs");
    }

    @Test
    void everyLaunchedKernelIsInThePackagedFatbin() throws IOException {
        byte[] fatbin;
        try (InputStream in = KernelImage.class.getResourceAsStream(KernelImage.FATBIN)) {
            assumeTrue(in != null, "this build has no fatbin (no nvcc)");
            fatbin = in.readAllBytes();
        }
        String image = new String(fatbin, StandardCharsets.ISO_8859_1);
        List<String> missing = new ArrayList<>();
        for (String k : launched) if (!image.contains(".text." + k + '\0')) missing.add(k);
        assertEquals(List.of(), missing, "kernels missing from the fatbin's machine code");
    }
}
