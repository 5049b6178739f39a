package io.tiebreak.jobs.gridjob;

import io.tiebreak.jobs.grid.Device;
import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.backend.Backends;
import io.tiebreak.runtime.precision.Reproducibility;
import io.tiebreak.runtime.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Picks the backend a run trains on, from what the grid asked for and what Spark granted the task: {@code gpu} needs
 * a GPU address from Spark's resource scheduling and a working CUDA backend on it, else the run fails with that
 * reason; {@code auto} takes the GPU when both hold and the CPU otherwise, saying why; {@code cpu} takes the
 * CPU with the task's spark.task.cpus threads.
 */
public final class DeviceChoice {
    private DeviceChoice() {}

    /** An open backend and how to describe it in the run's device_used column. */
    public record Opened(Backend backend, String description) {}

    /** The run cannot train where it asked to: recorded as the run's failure reason. */
    public static final class Unavailable extends Exception {
        Unavailable(String message) { super(message); }
    }

    /** Opens the backend of a GPU address Spark granted; the runtime's, or a stand-in in tests. */
    public interface GpuOpener {
        Backend open(String address) throws Exception;

        GpuOpener CUDA = address -> Backends.open(Backends.forSparkGpu(address));
    }

    /** The backend for device; a CPU backend computes in the given reproducibility mode. */
    public static Opened open(Device device, Reproducibility reproducibility, int threads, List<String> gpuAddresses,
                              GpuOpener gpus) throws Unavailable {
        if (device == Device.CPU) return cpu(threads, reproducibility, "");
        if (gpuAddresses.isEmpty()) {
            if (device == Device.AUTO) return cpu(threads, reproducibility, " (auto: this task was granted no GPU)");
            throw new Unavailable("device: gpu, but Spark granted this task no GPU: run with"
                    + " spark.executor.resource.gpu.amount and spark.task.resource.gpu.amount set (and a GPU discovery"
                    + " script where the cluster manager needs one), or use device: auto");
        }
        String address = gpuAddresses.get(0);
        try {
            Backend b = gpus.open(address);
            return new Opened(b, b.name());
        } catch (Exception e) {
            String why = "cannot use GPU " + address + " that Spark granted: " + e.getMessage();
            if (device == Device.AUTO) return cpu(threads, reproducibility, " (auto: " + why + ")");
            throw new Unavailable(why);
        }
    }

    private static Opened cpu(int threads, Reproducibility reproducibility, String note) {
        return new Opened(Backends.open("cpu:" + threads, reproducibility), "cpu x" + threads + note);
    }

    /**
     * The devices of a run (docs/design.md, "Data parallelism"), each to be opened, or handed over, on the thread
     * that drives it: their description for the device_used column and what the first computes with (backend).
     */
    public record Devices(List<Supplier<Backend>> devices, String description, String backend) {}

    /**
     * The devices a run on {@code devicesPerRun} devices trains on: CPU backends of threads/devicesPerRun threads
     * each, or that many of the GPUs Spark granted the task, chosen as {@link #open} chooses one (auto falls back to
     * the CPU, saying why).
     */
    public static Devices openDevices(Device device, int devicesPerRun, Reproducibility reproducibility, int threads,
                                      List<String> gpuAddresses, GpuOpener gpus) throws Unavailable {
        if (devicesPerRun == 1) {
            Opened o = open(device, reproducibility, threads, gpuAddresses, gpus);
            return new Devices(List.of(() -> o.backend()), o.description(), o.backend().description());
        }
        if (device == Device.CPU) return cpus(devicesPerRun, threads, reproducibility, "");
        if (gpuAddresses.size() < devicesPerRun) {
            String why = "devices_per_run: " + devicesPerRun + ", but Spark granted this task " + gpuAddresses.size()
                    + " GPU(s)";
            if (device == Device.AUTO) return cpus(devicesPerRun, threads, reproducibility, " (auto: " + why + ")");
            throw new Unavailable(why + ": run where spark.task.resource.gpu.amount can reach " + devicesPerRun
                    + " (the sweep asks for it on clusters), or lower devices_per_run, or use device: auto");
        }
        List<Backend> opened = new ArrayList<>();
        for (String address : gpuAddresses.subList(0, devicesPerRun)) {
            try {
                opened.add(gpus.open(address));
            } catch (Exception e) {
                opened.forEach(Backend::close);
                String why = "cannot use GPU " + address + " that Spark granted: " + e.getMessage();
                if (device == Device.AUTO) return cpus(devicesPerRun, threads, reproducibility, " (auto: " + why + ")");
                throw new Unavailable(why);
            }
        }
        List<Supplier<Backend>> suppliers = new ArrayList<>();
        for (Backend b : opened) suppliers.add(() -> b);
        return new Devices(suppliers, opened.stream().map(Backend::name).collect(Collectors.joining(", ")),
                opened.get(0).description());
    }

    private static Devices cpus(int devices, int threads, Reproducibility reproducibility, String note) {
        int each = Math.max(1, threads / devices);
        return new Devices(Backends.devices("cpu:" + threads, devices, reproducibility),
                "cpu x" + threads + " as " + devices + " devices of " + each + note, CpuBackend.describe(reproducibility));
    }
}
