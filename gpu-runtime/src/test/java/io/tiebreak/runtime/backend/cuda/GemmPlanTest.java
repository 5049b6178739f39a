package io.tiebreak.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GemmPlanTest {
    @Test
    void smallOutputsUseSmallTilesWithoutSplitting() {
        GemmPlan p = GemmPlan.of(64, 100, 27);
        assertEquals("s", p.tile());
        assertEquals(1, p.splits());
        assertEquals(new Launch(2, 1, 1, 256), p.launch());
    }

    @Test
    void largeOutputsUseLargeTiles() {
        GemmPlan p = GemmPlan.of(256, 8192, 40); // VGG-sized conv forward
        assertEquals("l", p.tile());
        assertEquals(new Launch(64, 2, 1, 256), p.launch());
    }

    @Test
    void weightGradientsAreSplitOverTheLongK() {
        GemmPlan p = GemmPlan.of(64, 27, 128 * 32 * 32); // VGG11's first conv: dw = dy x col^T
        assertEquals("s", p.tile());
        assertTrue(p.splits() > 100, "splits " + p.splits());
        assertEquals(0, p.kChunk() % p.tileK());
        assertTrue((long) p.splits() * p.kChunk() >= p.k() && (long) (p.splits() - 1) * p.kChunk() < p.k(),
                "every split is non-empty and together they cover k");
    }

    @Test
    void splitsCoverKForEveryShape() {
        for (int m : new int[] {1, 7, 64, 130, 512})
            for (int n : new int[] {1, 9, 64, 1000})
                for (int k : new int[] {0, 1, 15, 16, 511, 512, 513, 4096, 100_000}) {
                    GemmPlan p = GemmPlan.of(m, n, k);
                    assertTrue(p.splits() >= 1 && p.splits() <= GemmPlan.MAX_SPLITS);
                    assertTrue((long) p.splits() * p.kChunk() >= k, p.toString());
                    assertTrue(p.splits() == 1 || (long) (p.splits() - 1) * p.kChunk() < k, p.toString());
                    assertEquals(0, p.kChunk() % p.tileK(), p.toString());
                }
    }

    @Test
    void thePlanDependsOnTheShapeOnly() {
        assertEquals(GemmPlan.of(300, 77, 5000), GemmPlan.of(300, 77, 5000));
    }
}
