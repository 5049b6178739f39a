package io.tiebreak.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.backend.Backends;
import io.tiebreak.runtime.check.SelfTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What happens when a GPU is asked for where there is none, or no kernels, or no such device. */
class CudaAvailabilityTest {
    /** Whether an NVIDIA driver library is installed in the usual places. */
    static boolean driverInstalled() {
        return Stream.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/nvidia/lib64")
                .anyMatch(d -> Files.exists(Path.of(d, "libcuda.so.1")));
    }

    @Test
    void withoutADriverOpeningAGpuNamesTheMissingLibrary() {
        assumeFalse(driverInstalled(), "an NVIDIA driver is installed here");
        assumeTrue(KernelImage.class.getResource(KernelImage.FATBIN) != null, "this build has no kernels");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> Backends.open("cuda:0"));
        assertTrue(e.getMessage().contains("libcuda.so.1"), e.getMessage());
    }

    @Test
    void aJarWithoutKernelsSaysSoBeforeTouchingTheDriver() {
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> KernelImage.load(KernelImage.class, "no-such-kernels.fatbin"));
        assertTrue(e.getMessage().contains("has no CUDA kernels"), e.getMessage());
        assertTrue(e.getMessage().contains("without nvcc"), e.getMessage());
    }

    @Test
    void theBuildPackagedKernelsAndSaysHowWhenNvccIsPresent() {
        assumeTrue(KernelImage.class.getResource(KernelImage.FATBIN) != null, "built without nvcc");
        assertTrue(KernelImage.load().length > 1_000_000);
        assertTrue(KernelImage.describe().startsWith("simt-fp32acc, nvcc "), KernelImage.describe());
    }

    @Test
    void theSelfTestExitsWithItsOwnCodeWhenThereIsNoGpu() {
        assumeFalse(driverInstalled(), "an NVIDIA driver is installed here");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = SelfTest.run("cuda:0", 1, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(OutputStreamHolder.NULL));
        assertTrue(code == SelfTest.NO_GPU, "exit code " + code);
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("selftest: SKIPPED, no usable GPU: "), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void selfTestRejectsAnUnknownDevice() {
        PrintStream quiet = new PrintStream(OutputStreamHolder.NULL);
        assertTrue(SelfTest.run("tpu:0", 1, quiet, quiet) == SelfTest.USAGE);
    }

    @Test
    void deviceNamesAreParsedStrictly() {
        assertThrows(IllegalArgumentException.class, () -> Backends.open("tpu"));
        assertThrows(IllegalArgumentException.class, () -> Backends.open("cuda:-1"));
        assertThrows(IllegalArgumentException.class, () -> Backends.open("cuda:one"));
        assertThrows(IllegalArgumentException.class, () -> Backends.open("cpu:0"));
        try (Backend cpu = Backends.open("cpu:2")) {
            assertTrue(cpu.threads() == 2);
        }
        assertTrue(Backends.forSparkGpu(" 3 ").equals("cuda:3"));
        assertThrows(IllegalArgumentException.class, () -> Backends.forSparkGpu("GPU-1a2b"));
    }

    private static final class OutputStreamHolder {
        static final java.io.OutputStream NULL = java.io.OutputStream.nullOutputStream();
    }
}
