package io.tiebreak.runtime.backend.cpu;

/**
 * Grow-only work arrays owned by one CPU backend (im2col matrices, transposed gradients, rounded operand copies),
 * so a training step allocates nothing large after its first iteration. Slots are numbered by the kernel using them.
 */
final class Scratch {
    private final float[][] floats = new float[8][];
    private final double[][] doubles = new double[8][];
    /** Each worker thread's own arrays, for kernels whose tasks need private work space. */
    private final ThreadLocal<Scratch> perThread;

    Scratch() {
        this(true);
    }

    private Scratch(boolean shared) {
        perThread = shared ? ThreadLocal.withInitial(() -> new Scratch(false)) : null;
    }

    /** The calling thread's private scratch (results never depend on which thread's arrays a task uses). */
    Scratch local() {
        return perThread.get();
    }

    float[] floats(int slot, int n) {
        float[] a = floats[slot];
        if (a == null || a.length < n) floats[slot] = a = new float[n];
        return a;
    }

    double[] doubles(int slot, int n) {
        double[] a = doubles[slot];
        if (a == null || a.length < n) doubles[slot] = a = new double[n];
        return a;
    }

    /** Drops the arrays (the worker threads' private ones go with their threads when the pool closes). */
    void release() {
        java.util.Arrays.fill(floats, null);
        java.util.Arrays.fill(doubles, null);
        if (perThread != null) perThread.remove();
    }
}
