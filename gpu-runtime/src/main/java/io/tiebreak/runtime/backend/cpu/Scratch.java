package io.tiebreak.runtime.backend.cpu;

/**
 * Grow-only work arrays owned by one CPU backend (im2col matrices, transposed gradients, rounded operand copies),
 * so a training step allocates nothing large after its first iteration. Slots are numbered by the kernel using them.
 */
final class Scratch {
    private final float[][] floats = new float[8][];
    private final double[][] doubles = new double[8][];

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

    void release() {
        java.util.Arrays.fill(floats, null);
        java.util.Arrays.fill(doubles, null);
    }
}
