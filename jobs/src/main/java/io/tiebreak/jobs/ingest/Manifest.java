package io.tiebreak.jobs.ingest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tiebreak.runtime.data.Normalization;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * {@code _dataset.json}: the commit point of an ingested dataset. Readers take the shard list from here (never from a
 * directory listing), so they see one complete version. Means and stds are of pixel/255 over the split, per channel.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(String format, int formatVersion, String dataset, String ingestId, String created, String source,
                       Map<String, String> options, int channels, int height, int width, List<String> classes,
                       Map<String, Split> splits) {
    public static final String FORMAT = "tiebreak-dataset";
    public static final int VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** One split: its samples, statistics, shards and the samples left out. */
    public record Split(long count, List<Double> mean, List<Double> std, List<Long> classCounts, List<Shard> shards,
                        List<SkippedSample> skipped) {
        public Split {
            mean = List.copyOf(mean);
            std = List.copyOf(std);
            classCounts = List.copyOf(classCounts);
            shards = List.copyOf(shards);
            skipped = List.copyOf(skipped);
        }
    }

    /** One Parquet file; path is relative to the dataset folder. */
    public record Shard(String path, long rows, long bytes, String sha256, long firstIndex, long lastIndex) {}

    public Manifest {
        options = options == null ? Map.of() : Map.copyOf(options);
        classes = classes == null ? null : List.copyOf(classes);
        splits = splits == null ? null : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(splits));
    }

    public Split split(String name) {
        Split s = splits.get(name);
        if (s == null) throw new IllegalArgumentException("dataset has no split '" + name + "', only " + splits.keySet());
        return s;
    }

    /** The split's own per-channel statistics, for training's input normalization. */
    public Normalization normalization(String split) {
        Split s = split(split);
        return new Normalization(s.mean().stream().mapToDouble(Double::doubleValue).toArray(),
                s.std().stream().mapToDouble(Double::doubleValue).toArray());
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize the manifest", e);
        }
    }

    /** Parses and checks a manifest; errors name the file. */
    public static Manifest parse(byte[] json, String file) {
        Manifest m;
        try {
            m = JSON.readValue(json, Manifest.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw BadInput.in(file, "not a readable dataset manifest (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw BadInput.in(file, "not a readable dataset manifest (" + e.getMessage() + ")");
        }
        if (!FORMAT.equals(m.format())) throw BadInput.in(file, "format is '" + m.format() + "', expected '" + FORMAT + "'");
        if (m.formatVersion() != VERSION) {
            throw BadInput.in(file, "format version " + m.formatVersion() + ", this reader knows " + VERSION);
        }
        if (m.classes() == null || m.classes().isEmpty() || m.splits() == null || m.splits().isEmpty()
                || m.channels() <= 0 || m.height() <= 0 || m.width() <= 0) {
            throw BadInput.in(file, "incomplete: classes, splits and a positive shape are required");
        }
        for (var e : m.splits().entrySet()) {
            Split s = e.getValue();
            if (s == null || s.count() < 0) throw BadInput.in(file, "split '" + e.getKey() + "' has no shard list");
            long rows = s.shards().stream().mapToLong(Shard::rows).sum();
            if (rows != s.count()) {
                throw BadInput.in(file, "split '" + e.getKey() + "' counts " + s.count() + " samples, its shards " + rows);
            }
        }
        return m;
    }
}
