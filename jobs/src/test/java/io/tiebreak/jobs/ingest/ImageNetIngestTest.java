package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.fs.ReplaceableOutput.IfExists;
import io.tiebreak.jobs.testing.DatasetFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageNetIngestTest {
    @TempDir Path tmp;

    /**
     * train/ with what the real set holds: RGB, grayscale and CMYK JPEGs, a PNG named .JPEG, plus a truncated JPEG
     * and a file that is no image. Returns the files in sorted (= index) order.
     */
    private Map<String, byte[]> trainTree(Path root) throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("train/n01440764/n01440764_1.JPEG", DatasetFiles.jpeg(DatasetFiles.smoothImage(50, 40, 1)));
        files.put("train/n01440764/n01440764_2.JPEG", DatasetFiles.grayJpeg(DatasetFiles.smoothImage(30, 45, 2)));
        files.put("train/n01443537/n01443537_1.JPEG", DatasetFiles.cmykJpeg(DatasetFiles.smoothImage(64, 48, 3)));
        files.put("train/n01443537/n01443537_2.JPEG", DatasetFiles.png(DatasetFiles.smoothImage(40, 40, 4)));
        byte[] jpeg = DatasetFiles.jpeg(DatasetFiles.smoothImage(60, 60, 5));
        files.put("train/n01443537/n01443537_3.JPEG", Arrays.copyOf(jpeg, jpeg.length / 2));
        files.put("train/n01443537/n01443537_4.JPEG", "<html>404</html>".getBytes());
        files.put("train/n01484850/n01484850_1.JPEG", DatasetFiles.jpeg(DatasetFiles.smoothImage(33, 77, 6)));
        for (var e : files.entrySet()) DatasetFiles.write(root.resolve(e.getKey()), e.getValue());
        return files;
    }

    private IngestOptions options(Path root, Path out, boolean failOnCorrupt, String valLabels, String meta) {
        return new IngestOptions(Dataset.IMAGENET, root.toString(), out.toString(), IfExists.REFUSE, 2 * 3 * 16 * 16,
                16, 20, failOnCorrupt, null, null, valLabels, meta);
    }

    @Test
    void decodesEveryKindOfImageSkipsAndListsTheCorruptOnesAndKeepsIndexesStable() throws Exception {
        Path root = tmp.resolve("imagenet");
        Map<String, byte[]> files = trainTree(root);
        Path out = tmp.resolve("out");

        Manifest m = Ingests.ingest(options(root, out, false, null, null));

        assertEquals(List.of("n01440764", "n01443537", "n01484850"), m.classes());
        assertEquals(List.of(3, 16, 16), List.of(m.channels(), m.height(), m.width()));
        Manifest.Split train = m.split("train");
        assertEquals(5, train.count());
        assertEquals(4, train.shards().size()); // 7 images, 2 per shard by size -> 4 shards (i mod 4)
        assertEquals(List.of(4L, 5L), train.skipped().stream().map(SkippedSample::index).toList());
        assertEquals("train/n01443537/n01443537_3.JPEG", train.skipped().get(0).source());
        assertTrue(train.skipped().get(0).reason().startsWith("truncated JPEG"), train.skipped().get(0).reason());
        assertTrue(train.skipped().get(1).reason().startsWith("not an image format"), train.skipped().get(1).reason());
        assertEquals(List.of(2L, 2L, 1L), train.classCounts());

        // Each stored sample is its file decoded, resized (shorter side 20) and center-cropped to 16, by index.
        List<String> paths = List.copyOf(files.keySet());
        long[] kept = {0, 1, 2, 3, 6};
        Ingests.All all = Ingests.readAll(DatasetReader.open(out.toString(), "train", Ingests.conf()));
        for (int k = 0; k < kept.length; k++) {
            byte[] expected = ImageDecoder.decodeResizeCrop(files.get(paths.get((int) kept[k])), 20, 16);
            assertArrayEquals(expected, all.pixels()[k], paths.get((int) kept[k]));
        }
        assertArrayEquals(new int[] {0, 0, 1, 1, 2}, all.labels());
    }

    @Test
    void aSplitWithFewerShardsThanTaskSlotsIsCutFinerAndGivesTheSameSamples() throws Exception {
        Path root = tmp.resolve("imagenet");
        trainTree(root);
        // One 1 MiB shard for 7 images, local[2] has 2 slots: decoded in 4 tasks, then shuffled into the one shard.
        Manifest one = Ingests.ingest(new IngestOptions(Dataset.IMAGENET, root.toString(), tmp.resolve("one").toString(),
                IfExists.REFUSE, 1 << 20, 16, 20, false, null, null, null, null));
        Manifest four = Ingests.ingest(options(root, tmp.resolve("four"), false, null, null));
        assertEquals(1, one.split("train").shards().size());
        assertEquals(four.split("train").skipped(), one.split("train").skipped());
        Ingests.All a = Ingests.readAll(DatasetReader.open(tmp.resolve("one").toString(), "train", Ingests.conf()));
        Ingests.All b = Ingests.readAll(DatasetReader.open(tmp.resolve("four").toString(), "train", Ingests.conf()));
        assertArrayEquals(b.labels(), a.labels());
        for (int i = 0; i < a.pixels().length; i++) assertArrayEquals(b.pixels()[i], a.pixels()[i], "sample " + i);
    }

    @Test
    void failOnCorruptStopsAtTheFirstBadImageNamingIt() throws Exception {
        Path root = tmp.resolve("imagenet");
        trainTree(root);
        var e = assertThrows(UserError.class, () -> Ingests.ingest(options(root, tmp.resolve("out"), true, null, null)));
        assertTrue(e.getMessage().contains("train/n01443537/n01443537_3.JPEG: truncated JPEG")
                || e.getMessage().contains("train/n01443537/n01443537_4.JPEG: not an image format"), e.getMessage());
        assertEquals(List.of(), Ingests.tree(tmp.resolve("out")));
    }

    @Test
    void flatValReadsItsLabelsFromTheDevkitOrKaggleGroundTruth() throws Exception {
        Path root = tmp.resolve("imagenet");
        trainTree(root);
        for (int i = 1; i <= 3; i++) {
            DatasetFiles.write(root.resolve(String.format("val/ILSVRC2012_val_%08d.JPEG", i)),
                    DatasetFiles.jpeg(DatasetFiles.smoothImage(30 + i, 30, 10 + i)));
        }
        // Devkit: ILSVRC2012_IDs are not in wnid order; meta.mat maps them.
        Path meta = tmp.resolve("meta.mat");
        DatasetFiles.devkitMeta(meta, List.of("n01484850", "n01440764", "n01443537"));
        Path devkit = tmp.resolve("ILSVRC2012_validation_ground_truth.txt");
        Files.writeString(devkit, "2\n1\n3\n");
        Path kaggle = tmp.resolve("LOC_val_solution.csv");
        Files.writeString(kaggle, "ImageId,PredictionString\nILSVRC2012_val_00000002,n01484850 1 2 3 4 \n"
                + "ILSVRC2012_val_00000001,n01440764 5 6 7 8 n01440764 1 1 2 2\nILSVRC2012_val_00000003,n01443537 0 0 9 9\n");

        Manifest a = Ingests.ingest(options(root, tmp.resolve("a"), false, devkit.toString(), meta.toString()));
        Manifest b = Ingests.ingest(options(root, tmp.resolve("b"), false, kaggle.toString(), null));

        for (Manifest m : List.of(a, b)) {
            assertEquals(3, m.split("val").count());
            assertEquals(List.of(1L, 1L, 1L), m.split("val").classCounts());
        }
        assertArrayEquals(new int[] {0, 2, 1}, Ingests.readAll(DatasetReader.open(tmp.resolve("a").toString(), "val", Ingests.conf())).labels());
        assertArrayEquals(new int[] {0, 2, 1}, Ingests.readAll(DatasetReader.open(tmp.resolve("b").toString(), "val", Ingests.conf())).labels());

        var noMeta = assertThrows(UserError.class, () -> Ingests.ingest(options(root, tmp.resolve("c"), false, devkit.toString(), null)));
        assertTrue(noMeta.getMessage().contains("--devkit-meta"), noMeta.getMessage());
    }

    @Test
    void valInClassFoldersMustUseTrainsClasses() throws Exception {
        Path root = tmp.resolve("imagenet");
        trainTree(root);
        DatasetFiles.write(root.resolve("val/n09999999/x.JPEG"), DatasetFiles.jpeg(DatasetFiles.smoothImage(20, 20, 1)));
        var e = assertThrows(UserError.class, () -> Ingests.ingest(options(root, tmp.resolve("o"), false, null, null)));
        assertTrue(e.getMessage().contains("val/n09999999/x.JPEG: class n09999999 is not one of the 3 classes"), e.getMessage());
    }
}
