package io.tiebreak.jobs.gridjob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.grid.Device;
import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.precision.Reproducibility;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceChoiceTest {
    private static final DeviceChoice.GpuOpener NO_CUDA = address -> {
        throw new IllegalStateException("no NVIDIA driver on this machine");
    };

    @Test
    void cpuRunsTrainOnTheTasksThreads() throws Exception {
        DeviceChoice.Opened o = DeviceChoice.open(Device.CPU, Reproducibility.PORTABLE, 2, List.of("0"), NO_CUDA);
        assertEquals("cpu x2", o.description());
        assertEquals(2, o.backend().threads());
        o.backend().close();
    }

    @Test
    void gpuRunsFailWithTheReasonWhenNoGpuWasGrantedOrItCannotBeUsed() {
        DeviceChoice.Unavailable none = assertThrows(DeviceChoice.Unavailable.class,
                () -> DeviceChoice.open(Device.GPU, Reproducibility.PORTABLE, 1, List.of(), NO_CUDA));
        assertTrue(none.getMessage().startsWith("device: gpu, but Spark granted this task no GPU"), none.getMessage());
        DeviceChoice.Unavailable broken = assertThrows(DeviceChoice.Unavailable.class,
                () -> DeviceChoice.open(Device.GPU, Reproducibility.PORTABLE, 1, List.of("1"), NO_CUDA));
        assertEquals("cannot use GPU 1 that Spark granted: no NVIDIA driver on this machine", broken.getMessage());
    }

    @Test
    void autoTakesTheGrantedGpuWhenItWorksAndOtherwiseTheCpuSayingWhy() throws Exception {
        DeviceChoice.Opened fallback = DeviceChoice.open(Device.AUTO, Reproducibility.PORTABLE, 1, List.of("1"), NO_CUDA);
        assertEquals("cpu x1 (auto: cannot use GPU 1 that Spark granted: no NVIDIA driver on this machine)",
                fallback.description());
        fallback.backend().close();
        DeviceChoice.Opened noGpu = DeviceChoice.open(Device.AUTO, Reproducibility.PORTABLE, 1, List.of(), NO_CUDA);
        assertEquals("cpu x1 (auto: this task was granted no GPU)", noGpu.description());
        noGpu.backend().close();
        DeviceChoice.Opened gpu = DeviceChoice.open(Device.AUTO, Reproducibility.PORTABLE, 1, List.of("3"), address -> new CpuBackend(1));
        assertEquals("cpu", gpu.description(), "the opened backend names itself");
        gpu.backend().close();
    }

    @Test
    void theRuntimesCudaOpenerExplainsItselfOnAMachineWithoutAGpu() {
        try {
            DeviceChoice.GpuOpener.CUDA.open("0").close();
        } catch (Exception e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "CUDA failure without a reason: " + e);
        }
    }
}
