package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.fs.ReplaceableOutput.IfExists;
import io.tiebreak.jobs.testing.DatasetFiles;
import io.tiebreak.runtime.data.ImageData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxIngestTest {
    @TempDir Path tmp;

    private static final int H = 7, W = 5;

    @Test
    void gzippedAndPlainIdxBecomeShardsThatReadBackByteForByte() throws Exception {
        Path in = tmp.resolve("mnist");
        DatasetFiles.idxPair(in, "", "train", 50, H, W, 10, true, false);
        DatasetFiles.idxPair(in, "", "t10k", 20, H, W, 10, false, false);
        Path out = tmp.resolve("out");

        // 1 KiB shards: train's 50 x 35 bytes make 2 shards, test's 20 x 35 one.
        Manifest m = Ingests.ingest(Dataset.MNIST, in, out, 1024);

        assertEquals("mnist", m.dataset());
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), m.classes());
        assertEquals(List.of(1, H, W), List.of(m.channels(), m.height(), m.width()));
        assertEquals(List.of("train", "test"), List.copyOf(m.splits().keySet()));
        Manifest.Split train = m.split("train");
        assertEquals(50, train.count());
        assertEquals(2, train.shards().size());
        assertEquals(List.of(25L, 25L), train.shards().stream().map(Manifest.Shard::rows).toList());
        assertEquals(1, m.split("test").shards().size());
        for (Manifest.Shard s : train.shards()) {
            byte[] file = Files.readAllBytes(out.resolve(s.path()));
            assertEquals(s.bytes(), file.length);
            assertEquals(ShardSummary.sha256(file), s.sha256());
        }
        long[] expectedCounts = new long[10];
        double sum = 0, sumSq = 0;
        for (int i = 0; i < 50; i++) {
            expectedCounts[DatasetFiles.label(i, 10)]++;
            for (byte b : DatasetFiles.samplePixels(i, 1, H, W)) {
                sum += (b & 0xff) / 255.0;
                sumSq += Math.pow((b & 0xff) / 255.0, 2);
            }
        }
        assertArrayEquals(expectedCounts, train.classCounts().stream().mapToLong(Long::longValue).toArray());
        double mean = sum / (50 * H * W);
        assertEquals(mean, train.mean().get(0), 1e-12);
        assertEquals(Math.sqrt(sumSq / (50 * H * W) - mean * mean), train.std().get(0), 1e-9);

        // The manifest on disk is the one returned, and training reads the same samples back.
        assertEquals(m, DatasetReader.manifest(out.toString(), Ingests.conf()));
        for (String split : List.of("train", "test")) {
            ImageData d = DatasetReader.open(out.toString(), split, Ingests.conf());
            Ingests.assertSamples(d, split.equals("train") ? 50 : 20, i -> DatasetFiles.samplePixels(i, 1, H, W),
                    i -> DatasetFiles.label(i, 10));
        }
    }

    @Test
    void theGrayChannelCanBeRepeatedAndTheImagesResizedForColorNetworks() throws Exception {
        Path in = tmp.resolve("mnist");
        DatasetFiles.idxPair(in, "", "train", 6, H, H, 10, true, false);
        Manifest three = Ingests.ingest(new IngestOptions(Dataset.MNIST, in.toString(), tmp.resolve("rgb").toString(),
                IfExists.REFUSE, 1024, 0, 0, false, null, null, null, null, 3));
        assertEquals(List.of(3, H, H), List.of(three.channels(), three.height(), three.width()));
        assertEquals("3", three.options().get("channels"));
        Ingests.assertSamples(DatasetReader.open(tmp.resolve("rgb").toString(), "train", Ingests.conf()), 6, i -> {
            byte[] gray = DatasetFiles.samplePixels(i, 1, H, H), rgb = new byte[3 * gray.length];
            for (int c = 0; c < 3; c++) System.arraycopy(gray, 0, rgb, c * gray.length, gray.length);
            return rgb;
        }, i -> DatasetFiles.label(i, 10));
        assertEquals(three.split("train").mean().get(0), three.split("train").mean().get(2), 0);

        // Resized to 2H: shape and statistics follow; the pixels are Pillow's (FashionMnistIngestTest checks them).
        Manifest big = Ingests.ingest(new IngestOptions(Dataset.MNIST, in.toString(), tmp.resolve("big").toString(),
                IfExists.REFUSE, 1024, 2 * H, 0, false, null, null, null, null, 1));
        assertEquals(List.of(1, 2 * H, 2 * H), List.of(big.channels(), big.height(), big.width()));
        assertEquals(Integer.toString(2 * H), big.options().get("imageSize"));

        var wrong = assertThrows(IllegalArgumentException.class, () -> new IngestOptions(Dataset.CIFAR10, "x", "y",
                IfExists.REFUSE, 1024, 0, 0, false, null, null, null, null, 3));
        assertTrue(wrong.getMessage().contains("--channels to the MNIST family"), wrong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new IngestOptions(Dataset.MNIST, "x", "y",
                IfExists.REFUSE, 1024, 0, 0, false, null, null, null, null, 2));
    }

    @Test
    void emnistIsTurnedUprightAndNamedFromItsMappingFile() throws Exception {
        Path in = tmp.resolve("emnist");
        DatasetFiles.idxPair(in, "emnist-letters-", "train", 12, H, W, 27, true, true);
        // letters: labels 1..26 are a..z, label 0 is unused (named N/A as torchvision does).
        StringBuilder map = new StringBuilder();
        for (int l = 1; l <= 26; l++) map.append(l).append(' ').append(64 + l).append(' ').append(96 + l).append('\n');
        DatasetFiles.writeString(in.resolve("emnist-letters-mapping.txt"), map.toString());
        DatasetFiles.idxPair(in, "emnist-digits-", "train", 3, 4, 4, 10, true, true); // another split, ignored

        Manifest m = Ingests.ingest(new IngestOptions(Dataset.EMNIST, in.toString(), tmp.resolve("out").toString(),
                IfExists.REFUSE, 1 << 20, 0, 0, false, "letters", null, null, null));

        assertEquals(27, m.classes().size());
        assertEquals("N/A", m.classes().get(0));
        assertEquals("Aa", m.classes().get(1));
        assertEquals(List.of("train"), List.copyOf(m.splits().keySet()));
        assertEquals(List.of(H, W), List.of(m.height(), m.width()));
        Ingests.assertSamples(DatasetReader.open(tmp.resolve("out").toString(), "train", Ingests.conf()), 12,
                i -> DatasetFiles.samplePixels(i, 1, H, W), i -> DatasetFiles.label(i, 27));
    }

    @Test
    void kmnistTakesItsClassNamesFromThePublishedClassMap() throws Exception {
        Path in = tmp.resolve("kmnist");
        DatasetFiles.idxPair(in, "", "t10k", 6, H, W, 10, true, false);
        String[] chars = {"お", "き", "す", "つ", "な", "は", "ま", "や", "れ", "を"};
        StringBuilder map = new StringBuilder("index,codepoint,char\n");
        for (int i = 0; i < 10; i++) map.append(i).append(",U+").append(Integer.toHexString(chars[i].codePointAt(0)).toUpperCase()).append(',').append(chars[i]).append('\n');
        DatasetFiles.writeString(in.resolve("kmnist_classmap.csv"), map.toString());

        Manifest m = Ingests.ingest(Dataset.KMNIST, in, tmp.resolve("out"), 1 << 20);

        assertEquals(List.of(chars), m.classes());
        assertEquals(List.of("test"), List.copyOf(m.splits().keySet()));
    }

    @Test
    void aTruncatedImagesFileFailsNamingItAndTheOffsetAndLeavesNoOutput() throws Exception {
        Path in = tmp.resolve("mnist");
        DatasetFiles.idxPair(in, "", "train", 10, H, W, 10, false, false);
        Path images = in.resolve("train-images-idx3-ubyte");
        byte[] full = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(full, full.length - 3));
        Path out = tmp.resolve("out");

        var e = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.MNIST, in, out, 1 << 20));

        assertTrue(e.getMessage().contains("train-images-idx3-ubyte at byte " + (full.length - 3)), e.getMessage());
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("needs " + full.length + " bytes"), e.getMessage());
        assertEquals(List.of(), Ingests.tree(out));
    }

    @Test
    void wrongMagicAndLabelsOutOfRangeAreUserErrorsNamingTheFile() throws Exception {
        Path in = tmp.resolve("bad-magic");
        DatasetFiles.idxPair(in, "", "train", 4, H, W, 10, true, false);
        Files.write(in.resolve("train-labels-idx1-ubyte.gz"), DatasetFiles.gzip(new byte[] {0, 0, 0x0d, 1, 0, 0, 0, 4, 1, 2, 3, 4}));
        var magic = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.MNIST, in, tmp.resolve("o1"), 1 << 20));
        assertTrue(magic.getMessage().contains("train-labels-idx1-ubyte.gz (gzip) at byte 2"), magic.getMessage());

        Path in2 = tmp.resolve("bad-label");
        DatasetFiles.idxPair(in2, "", "train", 4, H, W, 10, false, false);
        Files.write(in2.resolve("train-labels-idx1-ubyte"), DatasetFiles.idx(new int[] {4}, new byte[] {1, 2, 10, 3}));
        var label = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.MNIST, in2, tmp.resolve("o2"), 1 << 20));
        assertTrue(label.getMessage().endsWith("train-labels-idx1-ubyte at byte 10: label 10 of item 2 is outside [0, 10)"),
                label.getMessage());
        assertEquals(List.of(), Ingests.tree(tmp.resolve("o2")));
    }

    @Test
    void anImagesFileWithoutItsLabelsOrNoFilesAtAllAreUserErrors() throws Exception {
        Path in = tmp.resolve("half");
        DatasetFiles.idxPair(in, "", "train", 4, H, W, 10, true, false);
        Files.delete(in.resolve("train-labels-idx1-ubyte.gz"));
        var e = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.FASHION_MNIST, in, tmp.resolve("o"), 1 << 20));
        assertTrue(e.getMessage().contains("found train-images-idx3-ubyte.gz but not its labels file"), e.getMessage());
        Files.createDirectories(tmp.resolve("empty"));
        var none = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.KMNIST, tmp.resolve("empty"), tmp.resolve("o"), 1 << 20));
        assertTrue(none.getMessage().contains("no IDX files found"), none.getMessage());
    }
}
