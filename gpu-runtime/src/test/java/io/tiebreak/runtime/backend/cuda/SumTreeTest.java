package io.tiebreak.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leaf structure the kernels follow is FloatSumKernels.sum's: halves rounded down to 8 while n > 1024. */
class SumTreeTest {
    /** Leaves of FloatSumKernels.sum's recursion, as {offset, length}. */
    private static void leaves(int off, int n, List<int[]> out) {
        if (n > 1024) {
            int h = (n >>> 1) & ~7;
            leaves(off, h, out);
            leaves(off + h, n - h, out);
        } else {
            out.add(new int[] {off, n});
        }
    }

    @Test
    void leafCountMatchesTheCpuRecursionAndLeavesPartitionTheRange() {
        for (int n : new int[] {0, 1, 1024, 1025, 2048, 2049, 50_176, 131_072, 1_000_003}) {
            List<int[]> l = new ArrayList<>();
            leaves(0, n, l);
            assertEquals(l.size(), SumTree.leaves(n), "n=" + n);
            int next = 0;
            for (int[] leaf : l) {
                assertEquals(next, leaf[0]);
                assertTrue(leaf[1] <= SumTree.LEAF_MAX);
                next += leaf[1];
            }
            assertEquals(n, next);
        }
    }
}
