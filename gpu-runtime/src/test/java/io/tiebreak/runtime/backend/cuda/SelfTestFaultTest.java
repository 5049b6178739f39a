package io.tiebreak.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.check.SelfTest;
import io.tiebreak.runtime.precision.Precision;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/** The self-test catches a kernel that is wrong by one bit, and says which check failed. */
@org.junit.jupiter.api.Tag("slow")
class SelfTestFaultTest {
    /** Runs an emulated backend whose kernel `victim` gets its output corrupted by `corrupt` after each launch. */
    private static List<SelfTest.Row> selfTestWith(String victim, BiConsumer<EmulatedDevice, KernelArgs> corrupt) {
        try (EmulatedDevice real = new EmulatedDevice(1L << 30);
             CudaBackend gpu = new CudaBackend(new Faulty(real, victim, corrupt), "faulty");
             CpuBackend cpu = new CpuBackend(1)) {
            SelfTest t = new SelfTest(gpu, cpu, 7, new PrintStream(OutputStream.nullOutputStream()));
            return t.runSubset(Precision.FP32);
        }
    }

    @Test
    void aFlippedLowBitInReluBackwardFailsTheReluCheck() {
        assumeTrue(HostEmulator.available(), () -> "no host emulator: " + HostEmulator.failure());
        List<SelfTest.Row> rows = selfTestWith("tb_relu_backward_f32", (device, args) -> {
            long dx = args.value(4).longValue();
            float[] v = new float[1];
            device.download(dx, v, 4);
            v[0] = Float.intBitsToFloat(Float.floatToRawIntBits(v[0]) ^ 1);
            device.upload(v, dx, 4);
        });
        List<SelfTest.Row> failed = rows.stream().filter(r -> !r.passed()).toList();
        assertFalse(failed.isEmpty(), "the corrupted kernel went unnoticed");
        failed.forEach(r -> assertEquals(true, r.check().startsWith("relu.backward"), r.toString()));
    }

    @Test
    void aGemmOffByMoreThanTheBoundFailsTheLinearCheck() {
        assumeTrue(HostEmulator.available(), () -> "no host emulator: " + HostEmulator.failure());
        List<SelfTest.Row> rows = selfTestWith("tb_gemm_nt_s_f32", (device, args) -> {
            long y = args.value(9).longValue();
            float[] v = new float[1];
            device.download(y, v, 4);
            v[0] = v[0] * (1 + 1e-4f) + 1e-4f; // far above 2*gamma(K)*S for the x[8,20] w[12,20] case
            device.upload(v, y, 4);
        });
        assertFalse(rows.stream().filter(r -> r.check().startsWith("linear.forward")).allMatch(SelfTest.Row::passed));
    }

    /** Passes everything through, then corrupts the victim kernel's output. */
    private record Faulty(EmulatedDevice real, String victim, BiConsumer<EmulatedDevice, KernelArgs> corrupt) implements Device {
        @Override public String name() { return "faulty emulator"; }
        @Override public long totalMemory() { return real.totalMemory(); }
        @Override public long allocate(long bytes) { return real.allocate(bytes); }
        @Override public void free(long address) { real.free(address); }
        @Override public void upload(Object a, long address, long bytes) { real.upload(a, address, bytes); }
        @Override public void download(long address, Object a, long bytes) { real.download(address, a, bytes); }
        @Override public void copy(long src, long dst, long bytes) { real.copy(src, dst, bytes); }
        @Override public void zero(long address, long bytes) { real.zero(address, bytes); }
        @Override public void synchronize() { real.synchronize(); }
        @Override public void close() { real.close(); }

        @Override
        public void launch(String kernel, Launch launch, KernelArgs args) {
            real.launch(kernel, launch, args);
            if (kernel.equals(victim)) corrupt.accept(real, args);
        }
    }

}
