package io.tiebreak.jobs.gridjob;

import io.tiebreak.jobs.grid.Device;
import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.backend.Backends;
import io.tiebreak.runtime.precision.Reproducibility;
import java.util.List;

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
}
