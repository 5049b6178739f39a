package io.tiebreak.runtime.backend;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.backend.cuda.CudaBackend;
import io.tiebreak.runtime.precision.Reproducibility;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

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

    /**
     * The devices of one run spread over several (docs/design.md, "Data parallelism"), each to be opened on the
     * thread that drives it: {@code cpu} or {@code cpu:T} with {@code replicas} R gives R CPU backends of T/R threads
     * each (at least one; T: every core for {@code cpu}); {@code cuda:0,cuda:1,...} gives those GPUs (R, when given,
     * must be their count); {@code cuda} with R gives cuda:0 to cuda:R-1.
     *
     * @param replicas how many devices, or null for one per listed device (one for the CPU)
     * @throws IllegalArgumentException for a malformed name or a count that does not fit it
     */
    public static List<Supplier<Backend>> devices(String device, Integer replicas, Reproducibility reproducibility) {
        if (replicas != null && replicas < 1) {
            throw new IllegalArgumentException("devices per run must be at least 1, got " + replicas);
        }
        List<String> names = new ArrayList<>();
        for (String part : device.split(",", -1)) names.add(part.trim());
        String first = names.get(0).toLowerCase(Locale.ROOT);
        if (names.size() > 1) {
            if (replicas != null && replicas != names.size()) {
                throw new IllegalArgumentException("device '" + device + "' names " + names.size() + " devices, but "
                        + replicas + " replicas were asked for");
            }
            for (String n : names) {
                if (!n.toLowerCase(Locale.ROOT).startsWith("cuda:")) {
                    throw new IllegalArgumentException("device lists name GPUs only (cuda:0,cuda:1,...), got '" + device + "'");
                }
            }
        } else if (first.equals("cpu") || first.startsWith("cpu:")) {
            int r = replicas == null ? 1 : replicas;
            int threads = first.equals("cpu") ? Runtime.getRuntime().availableProcessors()
                    : number(device, first.substring(4), 1, "thread count");
            String each = "cpu:" + Math.max(1, threads / r);
            names = new ArrayList<>(java.util.Collections.nCopies(r, each));
        } else if ((first.equals("cuda") || first.equals("gpu")) && replicas != null) {
            names.clear();
            for (int i = 0; i < replicas; i++) names.add("cuda:" + i);
        } else if (replicas != null && replicas != 1) {
            throw new IllegalArgumentException("device '" + device + "' is one GPU: name " + replicas
                    + " of them (cuda:0,cuda:1,...) to train on " + replicas);
        }
        List<Supplier<Backend>> out = new ArrayList<>();
        for (String n : names) out.add(() -> open(n, reproducibility));
        return out;
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
