package io.tiebreak.jobs.zones;

import io.tiebreak.jobs.grid.ZoneSpec;
import java.io.Serializable;

/**
 * What an executor needs to measure minibatches [from, to) of one zones configuration.
 *
 * @param datasetPath the ingested dataset's folder
 * @param checkpoint  the sweep checkpoint the weights come from, or null for the seed's initialization
 * @param runConfig   the canonical training config that checkpoint must have been written for (null at init)
 */
public record ZoneTask(String grid, ZoneSpec spec, int from, int to, String datasetPath, String checkpoint,
                       String runConfig) implements Serializable {
    private static final long serialVersionUID = 1L;

    public ZoneTask {
        if (from < 0 || to <= from) throw new IllegalArgumentException("empty minibatch range " + from + ".." + to);
        if ((checkpoint == null) != (runConfig == null) || (checkpoint == null) == spec.fromCheckpoint()) {
            throw new IllegalArgumentException("checkpoint weights need the checkpoint and its run's config");
        }
    }

    public int minibatches() { return to - from; }
}
