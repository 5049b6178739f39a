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
    void aRunOnSeveralDevicesSplitsTheTasksCpusOrTakesAsManyGrantedGpus() throws Exception {
        DeviceChoice.Devices cpus = DeviceChoice.openDevices(Device.CPU, 2, Reproducibility.PORTABLE, 4, List.of(), NO_CUDA);
        assertEquals(2, cpus.devices().size());
        assertEquals("cpu x4 as 2 devices of 2", cpus.description());
        try (var b = cpus.devices().get(1).get()) {
            assertEquals(2, b.threads());
        }
        DeviceChoice.Unavailable few = assertThrows(DeviceChoice.Unavailable.class,
                () -> DeviceChoice.openDevices(Device.GPU, 2, Reproducibility.PORTABLE, 1, List.of("0"), NO_CUDA));
        assertTrue(few.getMessage().startsWith("devices_per_run: 2, but Spark granted this task 1 GPU(s)"), few.getMessage());
        DeviceChoice.Devices fallback = DeviceChoice.openDevices(Device.AUTO, 2, Reproducibility.PORTABLE, 2, List.of("0"), NO_CUDA);
        assertEquals("cpu x2 as 2 devices of 1 (auto: devices_per_run: 2, but Spark granted this task 1 GPU(s))",
                fallback.description());
        DeviceChoice.Devices gpus = DeviceChoice.openDevices(Device.GPU, 2, Reproducibility.PORTABLE, 1, List.of("4", "5", "6"),
                address -> new CpuBackend(1));
        assertEquals(2, gpus.devices().size(), "the first devices_per_run of the granted GPUs");
        for (var d : gpus.devices()) d.get().close();
        DeviceChoice.Devices one = DeviceChoice.openDevices(Device.CPU, 1, Reproducibility.PORTABLE, 2, List.of(), NO_CUDA);
        assertEquals("cpu x2", one.description(), "one device: as before");
        one.devices().get(0).get().close();
    }

    @Test
    void localMastersCountTheirCores() {
        assertEquals(1, GridSessions.localCores("local"));
        assertEquals(3, GridSessions.localCores("local[3]"));
        assertEquals(2, GridSessions.localCores("local[2,4]"));
        assertEquals(Runtime.getRuntime().availableProcessors(), GridSessions.localCores("local[*]"));
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
