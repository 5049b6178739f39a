package io.tiebreak.runtime.backend;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.backend.cuda.CudaBackend;
import io.tiebreak.runtime.precision.Reproducibility;
import java.util.Locale;

/**
 * Opens a backend by device name, as runs and the command line name them:
 * <ul>
 *   <li>{@code cpu}: the CPU backend on every core; {@code cpu:T}: on T worker threads;</li>
 *   <li>{@code cuda:N}: the GPU that nvidia-smi numbers N (also the address Spark's GPU discovery script reports,
 *       see deploy/gpu); {@code cuda} means {@code cuda:0}.</li>
 * </ul>
 */
public final class Backends {
    private Backends() {}

    /**
     * The backend for a device, computing in the given reproducibility mode (the CUDA backend's kernels are ours in
     * every mode: their bits do not depend on it).
     *
     * @throws IllegalArgumentException for a malformed name
     * @throws io.tiebreak.runtime.backend.cuda.CudaUnavailableException when a GPU is asked for and cannot be used
     *         here; the message says why (no NVIDIA driver, no such GPU, a jar built without kernels...)
     */
    public static Backend open(String device, Reproducibility reproducibility) {
        String d = device.trim().toLowerCase(Locale.ROOT);
        if (d.equals("cpu")) return new CpuBackend(Runtime.getRuntime().availableProcessors(), reproducibility);
        if (d.startsWith("cpu:")) return new CpuBackend(number(device, d.substring(4), 1, "thread count"), reproducibility);
        if (d.equals("cuda") || d.equals("gpu")) return CudaBackend.open(0);
        if (d.startsWith("cuda:")) return CudaBackend.open(number(device, d.substring(5), 0, "GPU index"));
        throw new IllegalArgumentException("unknown device '" + device + "': expected cpu, cpu:<threads> or cuda:<index>");
    }

    /** The backend for a device in the default reproducibility mode. */
    public static Backend open(String device) {
        return open(device, Reproducibility.DEFAULT);
    }

    /** The device name for the GPU address Spark assigned to a task (TaskContext.resources().get("gpu")). */
    public static String forSparkGpu(String address) {
        return "cuda:" + number("gpu address " + address, address.trim(), 0, "GPU address");
    }

    private static int number(String device, String digits, int min, String what) {
        try {
            int v = Integer.parseInt(digits);
            if (v >= min) return v;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("bad " + what + " in device '" + device + "': expected an integer >= " + min);
    }
}
