package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiebreak.jobs.fs.ReplaceableOutput.IfExists;
import io.tiebreak.runtime.data.InMemoryImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Fashion-MNIST from the Debian package dataset-fashion-mnist. Expected values were read from the same files
 * with numpy (gzip + frombuffer), independently of this code.
 */
@Tag("slow")
class FashionMnistIngestTest {
    private static final Path SOURCE = Path.of("/usr/share/datasets/fashion-mnist");

    @TempDir Path tmp;

    @Test
    void ingestsTheDebianPackageWithItsCountsClassesPixelsAndStatistics() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(SOURCE), "dataset-fashion-mnist is not installed");
        Path out = tmp.resolve("fashion-mnist");

        Manifest m = Ingests.ingest(IngestOptions.of(Dataset.FASHION_MNIST, SOURCE.toString(), out.toString(),
                IfExists.REFUSE, 128L << 20));

        assertEquals(60000, m.split("train").count());
        assertEquals(10000, m.split("test").count());
        assertEquals("Ankle boot", m.classes().get(9));
        assertEquals(Collections.nCopies(10, 6000L), m.split("train").classCounts());
        assertEquals(Collections.nCopies(10, 1000L), m.split("test").classCounts());
        assertEquals(0.2860406, m.split("train").mean().get(0), 1e-6);
        assertEquals(0.3530242, m.split("train").std().get(0), 1e-6);

        InMemoryImages train = (InMemoryImages) DatasetReader.open(out.toString(), "train", Ingests.conf());
        InMemoryImages test = (InMemoryImages) DatasetReader.open(out.toString(), "test", Ingests.conf());
        assertEquals(List.of(9, 0, 0, 3, 0), List.of(train.label(0), train.label(1), train.label(2), train.label(3), train.label(4)));
        assertEquals(5, test.label(9999));
        Ingests.All first = Ingests.readAll(train.head(1));
        assertEquals(237, first.pixels()[0][14 * 28 + 12] & 0xff);  // train[0], row 14, column 12
        Ingests.All lastTest = Ingests.readAll(test);
        assertEquals(171, lastTest.pixels()[9999][14 * 28 + 17] & 0xff); // test[9999], row 14, column 17
    }

    /**
     * Resized to 32x32 with three channels, as the zones study runs VGG11 on it. The expected bytes come from Pillow
     * (Image.resize((32, 32), BILINEAR), what torchvision's Resize(32) calls) on the same files, then numpy's repeat
     * to three planes: SHA-256 of train[0] and test[9999] as 3x32x32 bytes, and the train split's statistics.
     */
    @Test
    void resizedTo32WithThreeChannelsGivesPillowsBytes() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(SOURCE), "dataset-fashion-mnist is not installed");
        Path out = tmp.resolve("fashion-mnist-32x3");
        Manifest m = Ingests.ingest(new IngestOptions(Dataset.FASHION_MNIST, SOURCE.toString(), out.toString(),
                IfExists.REFUSE, 128L << 20, 32, 0, false, null, null, null, null, 3));
        assertEquals(List.of(3, 32, 32), List.of(m.channels(), m.height(), m.width()));
        for (int c = 0; c < 3; c++) {
            assertEquals(0.28555546, m.split("train").mean().get(c), 1e-6);
            assertEquals(0.33848422, m.split("train").std().get(c), 1e-6);
        }
        InMemoryImages train = (InMemoryImages) DatasetReader.open(out.toString(), "train", Ingests.conf());
        InMemoryImages test = (InMemoryImages) DatasetReader.open(out.toString(), "test", Ingests.conf());
        byte[] first = Ingests.readAll(train.head(1)).pixels()[0];
        assertEquals("d9ef821721727702fa37acb9f1ac3c8be952fb355497155b3ef62933ea6bf9fa", ShardSummary.sha256(first));
        assertEquals(226, first[16 * 32 + 14] & 0xff);
        byte[] last = Ingests.readAll(test).pixels()[9999];
        assertEquals("3b280190af3d3fc4b3b060b79353ee6d29aef17e9908ee9965920941766bd500", ShardSummary.sha256(last));
        assertEquals(9, train.label(0));
    }
}
