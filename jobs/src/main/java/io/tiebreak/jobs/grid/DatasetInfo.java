package io.tiebreak.jobs.grid;

import java.util.List;
import java.util.Map;

/**
 * What planning needs to know about an ingested dataset: sample shape, classes, samples per split, and the
 * per-channel mean and std the ingest job measured (used to normalize datasets the study does not name).
 */
public record DatasetInfo(String name, int channels, int height, int width, List<String> classNames,
                          Map<String, Long> splitSizes, List<Double> mean, List<Double> std) {
    public DatasetInfo {
        classNames = List.copyOf(classNames);
        splitSizes = Map.copyOf(splitSizes);
        mean = List.copyOf(mean);
        std = List.copyOf(std);
    }
}
