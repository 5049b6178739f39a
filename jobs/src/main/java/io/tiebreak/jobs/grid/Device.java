package io.tiebreak.jobs.grid;

import java.util.Locale;

/**
 * Where a run trains. {@code gpu}: on the GPU Spark granted its task, failing the run when there is none or CUDA
 * cannot use it; {@code auto}: that GPU when it works, else the CPU; {@code cpu}: the CPU with spark.task.cpus threads.
 */
public enum Device {
    CPU, GPU, AUTO;

    public String id() { return name().toLowerCase(Locale.ROOT); }

    public boolean wantsGpu() { return this != CPU; }
}
