package io.tiebreak.runtime.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.precision.Precision.Format;
import org.junit.jupiter.api.Test;

/** How a batch is cut into micro-batches and spread over devices, and the one order their sums are added in. */
class ShareTest {

    @Test
    void aBatchIsCutIntoMicroBatchesOfConsecutiveSamplesTheLastOneShorter() {
        Share s = Share.of(100, 128, 32, 1, 0);
        assertEquals(4, s.microBatches());
        assertEquals(0, s.start(0));
        assertEquals(96, s.start(3));
        assertEquals(32, s.size(2));
        assertEquals(4, s.size(3));
        assertEquals(4, s.count());
        assertFalse(s.whole());
        assertTrue(Share.of(100, 128, 128, 1, 0).whole(), "the batch size is one micro-batch: today's training");
    }

    @Test
    void devicesHoldConsecutiveBlocksAndMayHoldNoneOfTheLastBatch() {
        // batch 128 in micro-batches of 16: 8 per batch, 2 per device on 4 devices
        Share first = Share.of(128, 128, 16, 4, 0), third = Share.of(128, 128, 16, 4, 2);
        assertEquals(2, first.block());
        assertEquals(0, first.first());
        assertEquals(4, third.first());
        assertEquals(2, third.count());
        // the epoch's last batch of 40 samples: micro-batches 0, 1 (device 0) and 2 (device 1); devices 2 and 3 idle
        assertEquals(2, Share.of(40, 128, 16, 4, 0).count());
        assertEquals(1, Share.of(40, 128, 16, 4, 1).count());
        assertEquals(0, Share.of(40, 128, 16, 4, 2).count());
        assertEquals(3, Share.of(40, 128, 16, 4, 3).first());
    }

    @Test
    void aTreeNodeBelongsToTheDeviceHoldingAllItsMicroBatches() {
        Share s = Share.of(96, 96, 16, 2, 0); // 6 micro-batches, 3 per device
        assertEquals(0, s.owner(0, 2));
        assertEquals(0, s.owner(2, 1));
        assertEquals(-1, s.owner(2, 2), "micro-batches 2 and 3 sit on two devices");
        assertEquals(1, s.owner(4, 2));
    }

    @Test
    void devicesThatCannotShareTheMicroBatchesEquallyAreRefusedSayingWhy() {
        var e = assertThrows(IllegalArgumentException.class, () -> Share.perDevice(128, 32, 3));
        assertTrue(e.getMessage().contains("makes 4 micro-batches, which 3 devices cannot share equally"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Share.perDevice(128, 256, 1));
        assertTrue(e.getMessage().contains("between 1 and the batch size 128"), e.getMessage());
        assertEquals(3, Share.perDevice(100, 17, 2), "ceil(100 / 17) = 6 micro-batches, 3 per device");
    }

    @Test
    void theTreeSplitsAfterTheLargestPowerOfTwoBelowItsSize() {
        int[][] cases = {{2, 1}, {3, 2}, {4, 2}, {5, 4}, {6, 4}, {8, 4}, {9, 8}, {12, 8}};
        for (int[] c : cases) assertEquals(c[1], MicroBatchTree.leftSize(c[0]), "left of " + c[0]);
    }

    @Test
    void theTreeSumIsTheBracketingItDescribesInTheArithmeticFormat() {
        // Values whose binary32 sum depends on the bracketing: the tree gives ((a + b) + (c + d)) + e.
        float a = 1e8f, b = 3, c = -1e8f, d = 3, e = 1;
        double[] v = {a, b, c, d, e};
        float tree = ((a + b) + (c + d)) + e, left = (((a + b) + c) + d) + e;
        assertTrue(tree != left, "the test's values tell the orders apart");
        assertEquals(tree, MicroBatchTree.sum(v, Format.SINGLE));
        assertEquals(((1e8 + 3) + (-1e8 + 3)) + 1, MicroBatchTree.sum(v, Format.DOUBLE));
    }
}
