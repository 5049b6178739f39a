package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.fs.ReplaceableOutput.IfExists;
import io.tiebreak.jobs.testing.DatasetFiles;
import io.tiebreak.runtime.data.ImageData;
import io.tiebreak.runtime.data.InMemoryImages;
import io.tiebreak.runtime.random.Rng;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetReaderTest {
    @TempDir Path tmp;

    private static final int H = 16, W = 16, N = 50;
    private static final DatasetReader.Options STREAM = new DatasetReader.Options(0, 2);

    @BeforeEach
    void freshCache() {
        DatasetReader.clearCache();
    }

    private Path ingest(int n, Path out, IfExists ifExists) throws IOException {
        Path in = tmp.resolve("in-" + n);
        if (!Files.exists(in)) DatasetFiles.idxPair(in, "", "train", n, H, W, 10, true, false);
        // Shards of 5 samples of 256 bytes.
        Ingests.ingest(IngestOptions.of(Dataset.MNIST, in.toString(), out.toString(), ifExists, 5 * H * W));
        return out;
    }

    /** The index of a fixture sample, recovered from its pixels (pixel(i, 0, 0, 0) = 37 i mod 256, i < 256). */
    private static List<Integer> order(ImageData d, Rng rng, boolean shuffle) {
        List<Integer> seen = new ArrayList<>();
        byte[] px = new byte[3 * d.pixelsPerSample()];
        int[] lab = new int[3];
        try (ImageData.EpochReader r = d.epoch(rng, shuffle)) {
            for (int got; (got = r.next(px, lab, 3)) > 0; ) {
                for (int i = 0; i < got; i++) {
                    int first = px[i * d.pixelsPerSample()] & 0xff, index = (first * 173) % 256; // 173 = 37^-1 mod 256
                    assertEquals(DatasetFiles.label(index, 10), lab[i], "label of sample " + index);
                    seen.add(index);
                }
            }
        }
        return seen;
    }

    @Test
    void smallSplitsLoadOncePerJvmAndAReingestIsLoadedAfresh() throws Exception {
        Path out = ingest(N, tmp.resolve("out"), IfExists.REFUSE);
        ImageData a = DatasetReader.open(out.toString(), "train", Ingests.conf());
        ImageData b = DatasetReader.open(out.toString(), "train", Ingests.conf());
        assertInstanceOf(InMemoryImages.class, a);
        assertSame(a, b, "runs in one JVM share the loaded split");

        ingest(30, out, IfExists.REPLACE);
        ImageData c = DatasetReader.open(out.toString(), "train", Ingests.conf());
        assertNotSame(a, c);
        assertEquals(30, c.size());
    }

    @Test
    void aStreamedEpochServesEverySampleOnceInAnOrderSetByTheRng() throws Exception {
        Path out = ingest(N, tmp.resolve("out"), IfExists.REFUSE);
        ImageData d = DatasetReader.open(out.toString(), "train", Ingests.conf(), STREAM);
        assertInstanceOf(StreamingImages.class, d);
        assertEquals(10, DatasetReader.manifest(out.toString(), Ingests.conf()).split("train").shards().size());

        List<Integer> one = order(d, Rng.of(7, "shuffle"), true);
        assertEquals(N, new HashSet<>(one).size());
        assertEquals(N, one.size());
        assertEquals(one, order(d, Rng.of(7, "shuffle"), true), "same rng state, same order");
        assertNotEquals(one, order(d, Rng.of(8, "shuffle"), true));
        // Shards hold index i mod 10; without shuffle they come in turn, each in index order.
        List<Integer> plain = order(d, Rng.of(0, "unused"), false);
        assertEquals(List.of(0, 10, 20, 30, 40, 1, 11), plain.subList(0, 7));

        // The rng is only drawn from when shuffling, and the same draws as a fresh epoch would make.
        Rng r = Rng.of(3, "s");
        order(d, r, true);
        Rng same = Rng.of(3, "s");
        same.permutation(10);
        for (int i = 0; i < 10; i++) same.nextLong();
        assertEquals(same.state(), r.state());
    }

    @Test
    void aStreamPrefetchesAtMostItsBoundAhead() throws Exception {
        int shards = 20, rows = 4, prefetch = 2;
        List<Manifest.Shard> list = new ArrayList<>();
        for (int s = 0; s < shards; s++) list.add(new Manifest.Shard("s" + s, rows, 0, "", s, s));
        Manifest m = new Manifest(Manifest.FORMAT, Manifest.VERSION, "fake", "v-1", "", "", Map.of(), 1, 1, 1,
                List.of("a"), Map.of("train", new Manifest.Split((long) shards * rows, List.of(0.0), List.of(1.0),
                List.of((long) shards * rows), list, List.of())));
        AtomicInteger loaded = new AtomicInteger();
        StreamingImages d = new StreamingImages(m, "train", i -> {
            loaded.incrementAndGet();
            return new ShardFile.Contents("train", 1, 1, 1, new long[rows], new int[rows], new byte[rows]);
        }, prefetch);
        byte[] px = new byte[rows];
        int[] lab = new int[rows];
        try (ImageData.EpochReader r = d.epoch(Rng.of(1, "x"), true)) {
            for (int taken = 1; taken <= 5; taken++) {
                assertEquals(rows, r.next(px, lab, rows));
                Thread.sleep(300); // a slow training step: the prefetcher fills up and must then wait
                assertTrue(loaded.get() <= taken + prefetch + 1, loaded.get() + " shards loaded after taking " + taken);
            }
        }
        assertTrue(loaded.get() < shards);
    }

    @Test
    void aLoaderFailureReachesTheTrainingThread() {
        List<Manifest.Shard> list = List.of(new Manifest.Shard("a", 2, 0, "", 0, 1), new Manifest.Shard("b", 2, 0, "", 2, 3));
        Manifest m = new Manifest(Manifest.FORMAT, Manifest.VERSION, "fake", "v-1", "", "", Map.of(), 1, 1, 1, List.of("a"),
                Map.of("train", new Manifest.Split(4, List.of(0.0), List.of(1.0), List.of(4L), list, List.of())));
        StreamingImages d = new StreamingImages(m, "train", i -> {
            if (i == 1) throw new UserError("shard b is gone");
            return new ShardFile.Contents("train", 1, 1, 1, new long[2], new int[2], new byte[2]);
        }, 1);
        try (ImageData.EpochReader r = d.epoch(Rng.of(1, "x"), false)) {
            var e = assertThrows(UserError.class, () -> r.next(new byte[4], new int[4], 4));
            assertEquals("shard b is gone", e.getMessage());
        }
    }

    @Test
    void aShardModifiedAfterIngestIsRejected() throws Exception {
        Path out = ingest(N, tmp.resolve("out"), IfExists.REFUSE);
        Manifest m = DatasetReader.manifest(out.toString(), Ingests.conf());
        Path shard = out.resolve(m.split("train").shards().get(3).path());
        byte[] b = Files.readAllBytes(shard);
        b[b.length / 2] ^= 1;
        Files.write(shard, b);
        // Caught by the local file system's .crc first, then (without it) by the manifest's SHA-256.
        var crc = assertThrows(UserError.class, () -> DatasetReader.open(out.toString(), "train", Ingests.conf()));
        assertTrue(crc.getMessage().contains(m.split("train").shards().get(3).path()) && crc.getMessage().contains("is damaged"),
                crc.getMessage());
        Files.delete(shard.resolveSibling("." + shard.getFileName() + ".crc"));
        var sha = assertThrows(UserError.class, () -> DatasetReader.open(out.toString(), "train", Ingests.conf()));
        assertTrue(sha.getMessage().contains(m.split("train").shards().get(3).path()) && sha.getMessage().contains("does not match the manifest"),
                sha.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> DatasetReader.open(out.toString(), "extra", Ingests.conf()));
        assertEquals("dataset has no split 'extra', only [train]", missing.getMessage());
    }
}
