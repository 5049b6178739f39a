package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiebreak.jobs.fs.ReplaceableOutput.IfExists;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.runtime.data.ImageData;
import io.tiebreak.runtime.random.Rng;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongFunction;
import java.util.function.LongUnaryOperator;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;

/** Shared steps of the ingest tests: run the job in local[2], read a split back, compare with the fixture. */
final class Ingests {
    private Ingests() {}

    static Configuration conf() {
        return LocalSpark.session().sparkContext().hadoopConfiguration();
    }

    static Manifest ingest(IngestOptions o) throws IOException {
        return IngestJob.run(LocalSpark.session(), o);
    }

    static Manifest ingest(Dataset d, Path in, Path out, long shardBytes) throws IOException {
        return ingest(IngestOptions.of(d, in.toString(), out.toString(), IfExists.REFUSE, shardBytes));
    }

    /** As above, for fixtures smaller than the published dataset (every published file still required). */
    static Manifest ingestSubset(Dataset d, Path in, Path out, long shardBytes) throws IOException {
        return ingest(IngestOptions.of(d, in.toString(), out.toString(), IfExists.REFUSE, shardBytes).allowingSubset());
    }

    /** Every sample of data, in index order (no shuffle): pixels then labels. */
    record All(byte[][] pixels, int[] labels) {}

    static All readAll(ImageData data) {
        int n = data.size(), per = data.pixelsPerSample();
        byte[][] px = new byte[n][];
        int[] labels = new int[n];
        byte[] buf = new byte[7 * per];
        int[] lab = new int[7];
        int k = 0;
        try (ImageData.EpochReader r = data.epoch(Rng.of(0, "unused"), false)) {
            for (int got; (got = r.next(buf, lab, 7)) > 0; ) {
                for (int i = 0; i < got; i++, k++) {
                    px[k] = java.util.Arrays.copyOfRange(buf, i * per, (i + 1) * per);
                    labels[k] = lab[i];
                }
            }
        }
        assertEquals(n, k, "samples in one epoch");
        return new All(px, labels);
    }

    /** data holds exactly the samples 0..n-1 with the given pixels and labels, in index order. */
    static void assertSamples(ImageData data, int n, LongFunction<byte[]> pixels, LongUnaryOperator label) {
        assertEquals(n, data.size());
        All all = readAll(data);
        for (int i = 0; i < n; i++) {
            assertArrayEquals(pixels.apply(i), all.pixels()[i], "pixels of sample " + i);
            assertEquals(label.applyAsLong(i), all.labels()[i], "label of sample " + i);
        }
    }

    /** Names of everything under dir, relative, sorted: to check what an aborted run left behind. */
    static java.util.List<String> tree(Path dir) throws IOException {
        if (!Files.exists(dir)) return java.util.List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }
}
