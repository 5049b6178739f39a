package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.testing.DatasetFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.MatlabType;

class SvhnIngestTest {
    @TempDir Path tmp;

    @Test
    void matFilesBecomeUprightRgbSamplesWithLabel10MeaningDigit0() throws Exception {
        Path dir = tmp.resolve("svhn");
        DatasetFiles.svhn(dir.resolve("train_32x32.mat"), 13);
        DatasetFiles.svhn(dir.resolve("extra_32x32.mat"), 5);

        Manifest m = Ingests.ingest(Dataset.SVHN, dir, tmp.resolve("out"), 4 * 3072);

        assertEquals(List.of("train", "extra"), List.copyOf(m.splits().keySet()));
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), m.classes());
        assertEquals(13, m.split("train").count());
        assertEquals(4, m.split("train").shards().size());
        // Fixture labels cycle through the digits; 0 is stored as 10 in the file.
        Ingests.assertSamples(DatasetReader.open(tmp.resolve("out").toString(), "train", Ingests.conf()), 13,
                i -> DatasetFiles.samplePixels(i, 3, 32, 32), i -> DatasetFiles.label(i, 10));
        Ingests.assertSamples(DatasetReader.open(tmp.resolve("out").toString(), "extra", Ingests.conf()), 5,
                i -> DatasetFiles.samplePixels(i, 3, 32, 32), i -> DatasetFiles.label(i, 10));
    }

    @Test
    void aTruncatedMatFileIsAUserErrorNamingItAndTheOffset() throws Exception {
        Path dir = tmp.resolve("svhn");
        Path file = dir.resolve("test_32x32.mat");
        DatasetFiles.svhn(file, 6);
        byte[] full = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(full, full.length * 2 / 3));

        var e = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.SVHN, dir, tmp.resolve("o"), 1 << 20));

        assertTrue(e.getMessage().contains("test_32x32.mat at byte"), e.getMessage());
        assertTrue(e.getMessage().contains("not a readable MATLAB v5 MAT-file"), e.getMessage());
        assertEquals(List.of(), Ingests.tree(tmp.resolve("o")));
    }

    @Test
    void wrongShapesAndLabelsOutOfRangeAreUserErrors() throws Exception {
        Path dir = tmp.resolve("shape");
        try (MatFile mat = Mat5.newMatFile().addArray("X", Mat5.newMatrix(new int[] {28, 28, 1, 2}, MatlabType.UInt8))
                .addArray("y", Mat5.newMatrix(2, 1))) {
            Files.createDirectories(dir);
            Mat5.writeToFile(mat, dir.resolve("train_32x32.mat").toFile());
        }
        var shape = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.SVHN, dir, tmp.resolve("o1"), 1 << 20));
        assertTrue(shape.getMessage().contains("variable X is uint8 [28, 28, 1, 2], expected uint8 [32, 32, 3, N]"), shape.getMessage());

        Path dir2 = tmp.resolve("labels");
        var x = Mat5.newMatrix(new int[] {32, 32, 3, 2}, MatlabType.UInt8);
        var y = Mat5.newMatrix(2, 1);
        y.setDouble(0, 3);
        y.setDouble(1, 11);
        try (MatFile mat = Mat5.newMatFile().addArray("X", x).addArray("y", y)) {
            Files.createDirectories(dir2);
            Mat5.writeToFile(mat, dir2.resolve("train_32x32.mat").toFile());
        }
        var label = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.SVHN, dir2, tmp.resolve("o2"), 1 << 20));
        assertTrue(label.getMessage().endsWith("train_32x32.mat: y(2) is 11.0, expected a label 1..10 (10 is the digit 0)"),
                label.getMessage());
    }
}
