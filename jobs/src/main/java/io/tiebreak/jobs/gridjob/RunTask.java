package io.tiebreak.jobs.gridjob;

import io.tiebreak.jobs.grid.RunSpec;
import java.io.Serializable;

/**
 * What an executor needs to train one run: the run, which attempt this is, where its dataset and checkpoints are.
 *
 * @param datasetPath the ingested dataset's folder
 * @param checkpoints the run's checkpoint folder
 */
public record RunTask(String grid, RunSpec spec, int attempt, String datasetPath, String checkpoints,
                      boolean keepAllCheckpoints) implements Serializable {
    private static final long serialVersionUID = 1L;
}
