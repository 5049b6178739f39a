package io.tiebreak.jobs.grid;

import java.util.List;
import java.util.Map;

/**
 * What planning needs to know about an ingested dataset: sample shape, classes, samples per split, and the
 * per-channel mean and std the ingest job measured (used to normalize datasets the study does not name). family is
 * the published dataset it was ingested from (the manifest's dataset, e.g. fashion-mnist for a folder
 * fashion-mnist-32x3 stored resized): the study's per-dataset settings follow it, not the folder name.
 */
public record DatasetInfo(String name, int channels, int height, int width, List<String> classNames,
                          Map<String, Long> splitSizes, List<Double> mean, List<Double> std, String family) {
    /** A dataset stored under its published name. */
    public DatasetInfo(String name, int channels, int height, int width, List<String> classNames,
                       Map<String, Long> splitSizes, List<Double> mean, List<Double> std) {
        this(name, channels, height, width, classNames, splitSizes, mean, std, name);
    }

    public DatasetInfo {
        classNames = List.copyOf(classNames);
        splitSizes = Map.copyOf(splitSizes);
        mean = List.copyOf(mean);
        std = List.copyOf(std);
    }
}
