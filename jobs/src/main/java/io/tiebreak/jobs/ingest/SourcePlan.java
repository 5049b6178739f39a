package io.tiebreak.jobs.ingest;

import java.util.List;
import java.util.Map;

/**
 * What the driver learned about a dataset before reading its samples: shape, classes, and per split the parts that
 * tasks will read. When partsAreShards, each part becomes one output shard as it is (ImageNet: no shuffle of
 * decoded pixels); otherwise samples are redistributed into shards by index.
 */
public record SourcePlan(String dataset, String source, int channels, int height, int width, List<String> classes,
                         List<SplitPlan> splits, boolean partsAreShards, Map<String, String> options) {
    public SourcePlan {
        classes = List.copyOf(classes);
        splits = List.copyOf(splits);
        options = Map.copyOf(options);
        if (splits.isEmpty()) throw new IllegalArgumentException(source + ": found no split to ingest");
    }

    public int pixelsPerSample() { return channels * height * width; }

    /**
     * One split and the parts that hold it. count is exact when known from headers and sizes (the job then checks
     * that every sample arrived), else an estimate that only sizes the shards.
     */
    public record SplitPlan(String name, long count, boolean exact, List<SourcePart> parts) {
        public SplitPlan {
            parts = List.copyOf(parts);
            if (count < 0) throw new IllegalArgumentException("negative count for split " + name);
        }
    }
}
