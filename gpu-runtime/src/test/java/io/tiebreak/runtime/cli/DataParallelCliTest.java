package io.tiebreak.runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The data-parallel issue's promise at the command line (docs/design.md, "Data parallelism"): `train --micro-batch
 * 32 --replicas 2` ends on the weights of `--replicas 1`, on the real Fashion-MNIST, in fresh JVMs.
 */
@Tag("slow")
class DataParallelCliTest {
    @Test
    void twoReplicasPrintTheWeightsDigestOfOne() throws Exception {
        assumeTrue(Files.isDirectory(TrainProcess.FASHION_MNIST), "needs Debian's dataset-fashion-mnist");
        TrainProcess.Trained one = TrainProcess.train(Map.of(), "--micro-batch", "32", "--replicas", "1");
        TrainProcess.Trained two = TrainProcess.train(Map.of(), "--micro-batch", "32", "--replicas", "2");
        assertTrue(two.output().contains("2 devices"), two.output());
        assertEquals(one.weightsDigest(), two.weightsDigest(), "\n" + one.output() + "\n" + two.output());
        TrainProcess.Trained whole = TrainProcess.train(Map.of());
        assertNotEquals(whole.weightsDigest(), one.weightsDigest(), "micro-batches of 32 are other sums than batches of 128");
    }
}
