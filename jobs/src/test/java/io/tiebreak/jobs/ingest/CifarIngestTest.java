package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.fs.ReplaceableOutput.IfExists;
import io.tiebreak.jobs.testing.DatasetFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarIngestTest {
    @TempDir Path tmp;

    @Test
    void cifar10FromTheTarGzAndFromItsExtractedFolderGiveTheSameSamples() throws Exception {
        Path extracted = tmp.resolve("cifar-10-batches-bin");
        DatasetFiles.cifar10(extracted, 4, 6); // 5 batches of 4: train indexes 0..19 in batch order
        Path archive = tmp.resolve("cifar-10-binary.tar.gz");
        DatasetFiles.tarGz(extracted, archive, "cifar-10-batches-bin");

        // The archive, and the folder the archive extracts to (its parent, as after tar xzf).
        Manifest fromTar = Ingests.ingest(Dataset.CIFAR10, archive, tmp.resolve("a"), 4 * 3072);
        Manifest fromDir = Ingests.ingest(Dataset.CIFAR10, tmp, tmp.resolve("b"), 4 * 3072);

        for (Manifest m : List.of(fromTar, fromDir)) {
            assertEquals(DatasetFiles.cifar10Classes(), m.classes());
            assertEquals(List.of(3, 32, 32), List.of(m.channels(), m.height(), m.width()));
            assertEquals(20, m.split("train").count());
            assertEquals(5, m.split("train").shards().size());
            assertEquals(6, m.split("test").count());
        }
        for (String out : List.of("a", "b")) {
            Ingests.assertSamples(DatasetReader.open(tmp.resolve(out).toString(), "train", Ingests.conf()), 20,
                    i -> DatasetFiles.samplePixels(i, 3, 32, 32), i -> DatasetFiles.label(i, 10));
            Ingests.assertSamples(DatasetReader.open(tmp.resolve(out).toString(), "test", Ingests.conf()), 6,
                    i -> DatasetFiles.samplePixels(i, 3, 32, 32), i -> DatasetFiles.label(i, 10));
        }
        assertEquals(fromTar.split("train").mean(), fromDir.split("train").mean());
    }

    @Test
    void cifar100ReadsFineOrCoarseLabels() throws Exception {
        Path dir = tmp.resolve("cifar-100-binary");
        DatasetFiles.cifar100(dir, 9, 3);
        Manifest fine = Ingests.ingest(Dataset.CIFAR100, dir, tmp.resolve("fine"), 1 << 20);
        Manifest coarse = Ingests.ingest(new IngestOptions(Dataset.CIFAR100, dir.toString(), tmp.resolve("coarse").toString(),
                IfExists.REFUSE, 1 << 20, 0, 0, false, null, "coarse", null, null));

        assertEquals(100, fine.classes().size());
        assertEquals("f3", fine.classes().get(3));
        assertEquals(20, coarse.classes().size());
        Ingests.assertSamples(DatasetReader.open(tmp.resolve("fine").toString(), "train", Ingests.conf()), 9,
                i -> DatasetFiles.samplePixels(i, 3, 32, 32), i -> DatasetFiles.label(i, 100));
        Ingests.assertSamples(DatasetReader.open(tmp.resolve("coarse").toString(), "test", Ingests.conf()), 3,
                i -> DatasetFiles.samplePixels(i, 3, 32, 32), i -> DatasetFiles.label(i, 20));
    }

    @Test
    void aTruncatedBatchIsRejectedBeforeAnythingIsWritten() throws Exception {
        Path dir = tmp.resolve("c10");
        DatasetFiles.cifar10(dir, 3, 2);
        Path batch = dir.resolve("data_batch_4.bin");
        Files.write(batch, Arrays.copyOf(Files.readAllBytes(batch), 3 * 3073 - 100));

        var e = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.CIFAR10, dir, tmp.resolve("o"), 1 << 20));

        assertTrue(e.getMessage().contains("data_batch_4.bin at byte 6146: truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("3073-byte records"), e.getMessage());
        assertEquals(List.of(), Ingests.tree(tmp.resolve("o")));
    }

    @Test
    void aTruncatedArchiveAndALabelOutOfRangeNameTheEntryAndOffset() throws Exception {
        Path dir = tmp.resolve("cifar-10-batches-bin");
        DatasetFiles.cifar10(dir, 3, 2);
        byte[] test = Files.readAllBytes(dir.resolve("test_batch.bin"));
        test[3073] = 10; // label of record 1
        Files.write(dir.resolve("test_batch.bin"), test);
        Path archive = tmp.resolve("c.tar.gz");
        DatasetFiles.tarGz(dir, archive, "cifar-10-batches-bin");

        var label = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.CIFAR10, archive, tmp.resolve("o1"), 1 << 20));
        assertTrue(label.getMessage().endsWith("c.tar.gz:cifar-10-batches-bin/test_batch.bin at byte 3073: label 10 of record 1 is outside [0, 10)"),
                label.getMessage());

        byte[] gz = Files.readAllBytes(archive);
        Path cut = tmp.resolve("cut.tar.gz");
        Files.write(cut, Arrays.copyOf(gz, gz.length / 2));
        var truncated = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.CIFAR10, cut, tmp.resolve("o2"), 1 << 20));
        assertTrue(truncated.getMessage().contains("cut.tar.gz") && truncated.getMessage().contains("truncated"), truncated.getMessage());
        assertEquals(List.of(), Ingests.tree(tmp.resolve("o2")));
    }
}
