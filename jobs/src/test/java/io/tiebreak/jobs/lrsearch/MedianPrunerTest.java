package io.tiebreak.jobs.lrsearch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tiebreak.jobs.gridjob.EpochGate;
import io.tiebreak.runtime.train.EpochMetrics;
import org.junit.jupiter.api.Test;

class MedianPrunerTest {
    private static EpochMetrics epoch(int e, double acc) {
        return new EpochMetrics(e, 1, 0.5, 1, acc, 0.1, 1, 0, 1, 1);
    }

    private static final double[][] DONE = {{0.5, 0.7, 0.8}, {0.3, 0.6, 0.7}, {0.4, 0.65}};

    @Test
    void stopsATrialBelowTheMedianOfCompletedTrialsAtThatEpoch() {
        MedianPruner p = new MedianPruner(DONE, 3, 0);
        assertEquals(0.4, p.median(1));
        assertEquals(0.75, p.median(3));
        p.afterEpoch(epoch(1, 0.4));
        EpochGate.Stop stop = assertThrows(EpochGate.Stop.class, () -> p.afterEpoch(epoch(2, 0.64)));
        assertEquals("pruned after epoch 2: test accuracy 0.6400 below the median 0.6500 of 3 completed trials",
                stop.getMessage());
        assertThrows(EpochGate.Stop.class, () -> p.afterEpoch(epoch(1, Double.NaN)));
    }

    @Test
    void waitsForEnoughCompletedTrialsAndForTheWarmup() {
        new MedianPruner(DONE, 4, 0).afterEpoch(epoch(1, 0.0));
        new MedianPruner(DONE, 3, 1).afterEpoch(epoch(1, 0.0));
        new MedianPruner(DONE, 3, 0).afterEpoch(epoch(5, 0.0)); // no completed trial reached epoch 5
    }
}
