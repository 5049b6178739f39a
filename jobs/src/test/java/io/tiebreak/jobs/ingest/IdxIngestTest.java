package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
                IfExists.REFUSE, 1024, 0, 0, false, null, null, null, null, 3).withSplits("train"));
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
                IfExists.REFUSE, 1024, 2 * H, 0, false, null, null, null, null, 1).withSplits("train"));
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
                IfExists.REFUSE, 1 << 20, 0, 0, false, "letters", null, null, null).withSplits("train"));

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

        Manifest m = Ingests.ingest(IngestOptions.of(Dataset.KMNIST, in.toString(), tmp.resolve("out").toString(),
                IfExists.REFUSE, 1 << 20).withSplits("test"));

        assertEquals(List.of(chars), m.classes());
        assertEquals(List.of("test"), List.copyOf(m.splits().keySet()));
    }

    @Test
    void aTruncatedImagesFileFailsNamingItAndTheOffsetAndLeavesNoOutput() throws Exception {
        Path in = tmp.resolve("mnist");
        DatasetFiles.idxPair(in, "", "train", 10, H, W, 10, false, false);
        DatasetFiles.idxPair(in, "", "t10k", 3, H, W, 10, false, false);
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
        DatasetFiles.idxPair(in, "", "t10k", 2, H, W, 10, true, false);
        Files.write(in.resolve("train-labels-idx1-ubyte.gz"), DatasetFiles.gzip(new byte[] {0, 0, 0x0d, 1, 0, 0, 0, 4, 1, 2, 3, 4}));
        var magic = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.MNIST, in, tmp.resolve("o1"), 1 << 20));
        assertTrue(magic.getMessage().contains("train-labels-idx1-ubyte.gz (gzip) at byte 2"), magic.getMessage());

        Path in2 = tmp.resolve("bad-label");
        DatasetFiles.idxPair(in2, "", "train", 4, H, W, 10, false, false);
        DatasetFiles.idxPair(in2, "", "t10k", 2, H, W, 10, false, false);
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
        assertTrue(e.getMessage().contains(": train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz],"
                + " t10k-labels-idx1-ubyte[.gz] are missing"), e.getMessage());
        Files.createDirectories(tmp.resolve("empty"));
        var none = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.KMNIST, tmp.resolve("empty"), tmp.resolve("o"), 1 << 20));
        assertTrue(none.getMessage().contains("train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images"),
                none.getMessage());
    }

    @Test
    void bothSplitsAreRequiredUnlessOneIsAskedFor() throws Exception {
        Path in = tmp.resolve("fashion");
        DatasetFiles.idxPair(in, "", "train", 4, H, W, 10, true, false);
        var e = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.FASHION_MNIST, in, tmp.resolve("o"), 1 << 20));
        assertTrue(e.getMessage().endsWith("/fashion: t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] are missing;"
                + " fashion-mnist publishes the images and labels of train and t10k (test); --splits train ingests the"
                + " other split alone"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("o")));
        DatasetFiles.idxPair(in, "", "t10k", 0, H, W, 10, true, false);
        var none = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.FASHION_MNIST, in, tmp.resolve("o"), 1 << 20));
        assertTrue(none.getMessage().endsWith("t10k-images-idx3-ubyte.gz at byte 4: the header declares 0 images"),
                none.getMessage());
    }

    @Test
    void aGzipStreamWithAChangedByteIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path in = tmp.resolve("mnist");
        DatasetFiles.idxPair(in, "", "train", 30, H, W, 10, false, false);
        DatasetFiles.idxPair(in, "", "t10k", 5, H, W, 10, false, false);
        // Stored (deflate level 0): a changed byte still inflates, to a wrong pixel; only the CRC can tell.
        byte[] raw = Files.readAllBytes(in.resolve("train-images-idx3-ubyte"));
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        try (var gz = new java.util.zip.GZIPOutputStream(b) { { def.setLevel(java.util.zip.Deflater.NO_COMPRESSION); } }) {
            gz.write(raw);
        }
        byte[] gz = b.toByteArray();
        gz[gz.length / 2] ^= 0x21;
        Files.delete(in.resolve("train-images-idx3-ubyte"));
        Files.write(in.resolve("train-images-idx3-ubyte.gz"), gz);
        Path out = tmp.resolve("out");
        var e = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.MNIST, in, out, 1 << 20));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz (gzip)") && e.getMessage().contains("Corrupt GZIP trailer"),
                e.getMessage());
        assertFalse(Files.exists(out), "a failed ingest leaves no output folder");
    }

    @Test
    void aWrongDimensionCountAndSplitsOfDifferentSizesNameTheRightByteAndFiles() throws Exception {
        Path in = tmp.resolve("mnist");
        DatasetFiles.idxPair(in, "", "train", 6, H, W, 10, false, false);
        DatasetFiles.idxPair(in, "", "t10k", 4, H + 1, W, 10, false, false);
        var sizes = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.MNIST, in, tmp.resolve("o1"), 1 << 20));
        assertTrue(sizes.getMessage().matches(".*/t10k-images-idx3-ubyte: holds 8x5 images, .*/train-images-idx3-ubyte 7x5:"
                + " the splits of a dataset have one image size"), sizes.getMessage());

        DatasetFiles.idxPair(in, "", "t10k", 4, H, W, 10, false, false);
        Path images = in.resolve("train-images-idx3-ubyte");
        byte[] b = Files.readAllBytes(images);
        b[3] = 2; // the dimension count: 2 where the data has 3
        Files.write(images, b);
        var rank = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.MNIST, in, tmp.resolve("o2"), 1 << 20));
        assertTrue(rank.getMessage().endsWith("train-images-idx3-ubyte at byte 3: the header declares 2 dimensions,"
                + " expected 3 dimensions (count, height, width) for an images file"), rank.getMessage());
        assertFalse(Files.exists(tmp.resolve("o1")) || Files.exists(tmp.resolve("o2")));
    }
}
