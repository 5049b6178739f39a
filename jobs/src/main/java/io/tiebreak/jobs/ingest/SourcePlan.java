package io.tiebreak.jobs.ingest;

import java.util.List;
import java.util.Map;

/** What the driver learned about a dataset before reading its samples: shape, classes, and per split its parts. */
public record SourcePlan(String dataset, String source, int channels, int height, int width, List<String> classes,
                         List<SplitPlan> splits, Map<String, String> options) {
    public SourcePlan {
        classes = List.copyOf(classes);
        splits = List.copyOf(splits);
        options = Map.copyOf(options);
        if (splits.isEmpty()) throw new IllegalArgumentException(source + ": found no split to ingest");
    }

    public int pixelsPerSample() { return channels * height * width; }

    /**
     * One split and the parts that hold it. count is exact when known from headers and sizes (the job then checks
     * that every sample arrived), else an estimate that only sizes the shards. When partsAreShards, part k holds
     * exactly the samples with index mod parts == k, in index order, and becomes shard k as it is (no shuffle of
     * decoded pixels); otherwise samples are redistributed into shards by index mod shards, which gives the same
     * shards. classCounts, when known, are the samples per class the source holds (some may be skipped as
     * undecodable): a class that has samples there must keep at least one.
     */
    public record SplitPlan(String name, long count, boolean exact, List<SourcePart> parts, boolean partsAreShards,
                            List<Long> classCounts) {
        public SplitPlan {
            parts = List.copyOf(parts);
            classCounts = classCounts == null ? null : List.copyOf(classCounts);
            if (count < 0) throw new IllegalArgumentException("negative count for split " + name);
        }

        public SplitPlan(String name, long count, boolean exact, List<SourcePart> parts) {
            this(name, count, exact, parts, false, null);
        }
    }
}
