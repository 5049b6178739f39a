package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CifarIngestTest {
    @TempDir Path tmp;

    @Test
    void cifar10FromTheTarGzAndFromItsExtractedFolderGiveTheSameSamples() throws Exception {
        Path extracted = tmp.resolve("cifar-10-batches-bin");
        DatasetFiles.cifar10(extracted, 4, 6); // 5 batches of 4: train indexes 0..19 in batch order
        Path archive = tmp.resolve("cifar-10-binary.tar.gz");
        DatasetFiles.tarGz(extracted, archive, "cifar-10-batches-bin");

        // The archive, and the folder the archive extracts to (its parent, as after tar xzf).
        Manifest fromTar = Ingests.ingestSubset(Dataset.CIFAR10, archive, tmp.resolve("a"), 4 * 3072);
        Manifest fromDir = Ingests.ingestSubset(Dataset.CIFAR10, tmp, tmp.resolve("b"), 4 * 3072);

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
        Manifest fine = Ingests.ingestSubset(Dataset.CIFAR100, dir, tmp.resolve("fine"), 1 << 20);
        Manifest coarse = Ingests.ingest(new IngestOptions(Dataset.CIFAR100, dir.toString(), tmp.resolve("coarse").toString(),
                IfExists.REFUSE, 1 << 20, 0, 0, false, null, "coarse", null, null).allowingSubset());

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

        var e = assertThrows(UserError.class, () -> Ingests.ingestSubset(Dataset.CIFAR10, dir, tmp.resolve("o"), 1 << 20));

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

        var label = assertThrows(UserError.class, () -> Ingests.ingestSubset(Dataset.CIFAR10, archive, tmp.resolve("o1"), 1 << 20));
        assertTrue(label.getMessage().endsWith("c.tar.gz:cifar-10-batches-bin/test_batch.bin at byte 3073: label 10 of record 1 is outside [0, 10)"),
                label.getMessage());

        byte[] gz = Files.readAllBytes(archive);
        Path cut = tmp.resolve("cut.tar.gz");
        Files.write(cut, Arrays.copyOf(gz, gz.length / 2));
        var truncated = assertThrows(UserError.class, () -> Ingests.ingestSubset(Dataset.CIFAR10, cut, tmp.resolve("o2"), 1 << 20));
        assertTrue(truncated.getMessage().contains("cut.tar.gz") && truncated.getMessage().contains("truncated"), truncated.getMessage());
        assertEquals(List.of(), Ingests.tree(tmp.resolve("o2")));
    }

    /** What one case does to a good CIFAR input before ingesting it. */
    interface Damage {
        void apply(Path dir) throws Exception;
    }

    private static void expectRefused(Dataset d, Path input, Path out, String... inMessage) {
        var e = assertThrows(UserError.class, () -> Ingests.ingestSubset(d, input, out, 1 << 20));
        for (String s : inMessage) assertTrue(e.getMessage().contains(s), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertFalse(Files.exists(out), "a failed ingest leaves no output folder: " + out);
    }

    /** A missing or empty file of the published list is refused, named, before anything is written. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "cifar10  | data_batch_3.bin | missing | data_batch_3.bin is missing; CIFAR-10 publishes data_batch_1.bin .. data_batch_5.bin (train) and test_batch.bin (test)",
        "cifar10  | test_batch.bin   | missing | test_batch.bin is missing",
        "cifar10  | data_batch_2.bin | empty   | data_batch_2.bin: empty (0 bytes), expected 10000 records of 3073 bytes",
        "cifar10  | data_batch_5.bin | cut     | data_batch_5.bin at byte 6146: truncated",
        "cifar100 | test.bin         | missing | test.bin is missing; CIFAR-100 publishes train.bin (train) and test.bin (test)",
        "cifar100 | train.bin        | empty   | train.bin: empty (0 bytes), expected 50000 records of 3074 bytes",
    })
    void aMissingEmptyOrCutFileIsRefusedInAFolderAndInTheArchive(String dataset, String file, String how, String message)
            throws Exception {
        Dataset d = Dataset.parse(dataset.trim());
        String top = d == Dataset.CIFAR10 ? "cifar-10-batches-bin" : "cifar-100-binary";
        Path dir = tmp.resolve("in").resolve(top);
        if (d == Dataset.CIFAR10) DatasetFiles.cifar10(dir, 3, 2);
        else DatasetFiles.cifar100(dir, 3, 2);
        Path f = dir.resolve(file.trim());
        switch (how.trim()) {
            case "missing" -> Files.delete(f);
            case "empty" -> Files.write(f, new byte[0]);
            default -> Files.write(f, Arrays.copyOf(Files.readAllBytes(f), (int) Files.size(f) - 5));
        }
        expectRefused(d, dir, tmp.resolve("from-folder"), message.trim());
        Path archive = tmp.resolve("c.tar.gz");
        DatasetFiles.tarGz(dir, archive, top);
        expectRefused(d, archive, tmp.resolve("from-archive"), "c.tar.gz", file.trim());
    }

    @Test
    void filesMustHoldThePublishedRecordCountsUnlessASubsetIsAllowed() throws Exception {
        Path dir = tmp.resolve("cifar-10-batches-bin");
        DatasetFiles.cifar10(dir, 2, 2);
        var e = assertThrows(UserError.class, () -> Ingests.ingest(Dataset.CIFAR10, dir, tmp.resolve("o"), 1 << 20));
        assertTrue(e.getMessage().endsWith("data_batch_1.bin: holds 2 records (6146 bytes), CIFAR-10 publishes 10000"
                + " (30730000 bytes): truncated? (--allow-subset accepts a hand-made subset of the published files)"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("o")));
        assertEquals(10, Ingests.ingestSubset(Dataset.CIFAR10, dir, tmp.resolve("subset"), 1 << 20).split("train").count());
        assertEquals("true", DatasetReader.manifest(tmp.resolve("subset").toString(), Ingests.conf()).options().get("allowSubset"));

        // Files of the published sizes pass the plan (sparse files: the plan reads sizes, not records).
        Path full = tmp.resolve("full");
        Files.createDirectories(full);
        Files.writeString(full.resolve("fine_label_names.txt"), "a\nb\n");
        for (var s : java.util.Map.of("train.bin", 50_000L, "test.bin", 10_000L).entrySet()) {
            try (var raf = new java.io.RandomAccessFile(full.resolve(s.getKey()).toFile(), "rw")) {
                raf.setLength(s.getValue() * 3074);
            }
        }
        SourcePlan plan = Dataset.CIFAR100.source(IngestOptions.of(Dataset.CIFAR100, full.toString(), "unused",
                IfExists.REFUSE, 1 << 20)).plan(Ingests.conf(), 2);
        assertEquals(List.of(50_000L, 10_000L), plan.splits().stream().map(SourcePlan.SplitPlan::count).toList());
    }

    @Test
    void onlyTheSplitsAskedForAreRequired() throws Exception {
        Path dir = tmp.resolve("cifar-10-batches-bin");
        DatasetFiles.cifar10(dir, 2, 3);
        Files.delete(dir.resolve("data_batch_4.bin"));
        Manifest m = Ingests.ingest(IngestOptions.of(Dataset.CIFAR10, dir.toString(), tmp.resolve("o").toString(),
                IfExists.REFUSE, 1 << 20).withSplits("test").allowingSubset());
        assertEquals(List.of("test"), List.copyOf(m.splits().keySet()));
        assertEquals("test", m.options().get("splits"));
    }

    /**
     * A byte changed inside the .tar.gz is refused: in deflated data it usually breaks the deflate stream; where the
     * archive stores bytes as they are (level 0), only gzip's CRC can tell, and it is checked before anything is written.
     */
    @Test
    void bytesScrambledInsideTheTarGzAreRefused() throws Exception {
        Path dir = tmp.resolve("cifar-10-batches-bin");
        DatasetFiles.cifar10(dir, 3, 2);
        Path stored = tmp.resolve("stored.tar.gz");
        DatasetFiles.tarGz(dir, stored, "cifar-10-batches-bin", java.util.zip.Deflater.NO_COMPRESSION);
        byte[] gz = Files.readAllBytes(stored);
        assertTrue(Ingests.ingestSubset(Dataset.CIFAR10, stored, tmp.resolve("ok"), 1 << 20).split("train").count() == 15);
        // Offsets in the pixel data of several entries, and one in the tar padding after the last entry.
        for (int at : new int[] {gz.length / 4, gz.length / 2, 3 * gz.length / 4, gz.length - 700}) {
            byte[] bad = gz.clone();
            bad[at] ^= 0x5a;
            Path p = tmp.resolve("bad-" + at + ".tar.gz");
            Files.write(p, bad);
            expectRefused(Dataset.CIFAR10, p, tmp.resolve("o-" + at), "bad-" + at + ".tar.gz", "damaged gzip data");
        }
        Path deflated = tmp.resolve("deflated.tar.gz");
        DatasetFiles.tarGz(dir, deflated, "cifar-10-batches-bin");
        byte[] d = Files.readAllBytes(deflated);
        for (int at : new int[] {d.length / 3, d.length / 2, d.length - 12}) {
            byte[] bad = d.clone();
            bad[at] ^= 0x01;
            Path p = tmp.resolve("deflated-" + at + ".tar.gz");
            Files.write(p, bad);
            expectRefused(Dataset.CIFAR10, p, tmp.resolve("d-" + at), "deflated-" + at + ".tar.gz");
        }
    }
}
