package io.tiebreak.runtime.backend.cuda;

/**
 * The shape of FloatSumKernels.sum's fixed summation tree over n values (halves rounded down to a multiple of 8 while
 * more than 1024 values remain), which reduce.cuh follows on the GPU. The host needs the leaf count to size the
 * leaf buffers and launches.
 */
final class SumTree {
    static final int LEAF_MAX = 1024;

    private SumTree() {}

    static int split(int n) { return (n >> 1) & ~7; }

    /** Number of leaves of the tree over n values (tb_tree_leaves). */
    static int leaves(int n) {
        if (n <= LEAF_MAX) return 1;
        int h = split(n);
        return leaves(h) + leaves(n - h);
    }
}
