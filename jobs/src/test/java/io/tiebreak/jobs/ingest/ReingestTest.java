package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

/** Running an ingest into an existing output: refused by default, replaced atomically on request, never mixed. */
class ReingestTest {
    @TempDir Path tmp;

    private Manifest ingest(Path in, Path out, IfExists ifExists) throws Exception {
        return Ingests.ingest(IngestOptions.of(Dataset.MNIST, in.toString(), out.toString(), ifExists, 1024));
    }

    private Path input(String name, int n) throws Exception {
        Path in = tmp.resolve(name);
        DatasetFiles.idxPair(in, "", "train", n, 6, 6, 10, true, false);
        return in;
    }

    @Test
    void aSecondIngestIsRefusedByDefaultAndTheFirstStaysIntact() throws Exception {
        Path in = input("in", 40), out = tmp.resolve("out");
        ingest(in, out, IfExists.REFUSE);
        byte[] manifest = Files.readAllBytes(out.resolve(IngestJob.MANIFEST));
        List<String> before = Ingests.tree(out);

        var e = assertThrows(UserError.class, () -> ingest(in, out, IfExists.REFUSE));

        assertEquals("output " + out.toUri().toString().replaceFirst("^file:///", "file:/").replaceFirst("/$", "")
                + " already exists and is not empty; pass --replace to replace it", e.getMessage());
        assertArrayEquals(manifest, Files.readAllBytes(out.resolve(IngestJob.MANIFEST)));
        assertEquals(before, Ingests.tree(out));
    }

    @Test
    void replaceSwapsInTheNewVersionAndRemovesTheOld() throws Exception {
        Path out = tmp.resolve("out");
        Manifest first = ingest(input("a", 40), out, IfExists.REFUSE);
        Manifest second = ingest(input("b", 25), out, IfExists.REPLACE);

        assertNotEquals(first.ingestId(), second.ingestId());
        assertEquals(25, second.split("train").count());
        List<String> top;
        try (var s = Files.list(out)) {
            top = s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc")).sorted().toList();
        }
        assertEquals(List.of(IngestJob.MANIFEST, second.ingestId()), top);
        assertEquals(second, DatasetReader.manifest(out.toString(), Ingests.conf()));
    }

    @Test
    void reingestingTheSameInputGivesTheSameShardsByteForByte() throws Exception {
        Path in = input("in", 40);
        Manifest a = ingest(in, tmp.resolve("a"), IfExists.REFUSE);
        Manifest b = ingest(in, tmp.resolve("b"), IfExists.REFUSE);
        assertEquals(a.split("train").shards().stream().map(Manifest.Shard::sha256).toList(),
                b.split("train").shards().stream().map(Manifest.Shard::sha256).toList());
    }

    @Test
    void aFailedReplaceLeavesTheOldOutputExactlyAsItWas() throws Exception {
        Path out = tmp.resolve("out");
        ingest(input("good", 40), out, IfExists.REFUSE);
        List<String> before = Ingests.tree(out);
        byte[] manifest = Files.readAllBytes(out.resolve(IngestJob.MANIFEST));
        Path bad = input("bad", 40);
        Path labels = bad.resolve("train-labels-idx1-ubyte.gz");
        byte[] raw = DatasetFiles.idx(new int[] {40}, new byte[40]);
        raw[8 + 39] = 77; // the last label is out of range: the job fails after writing most rows
        Files.write(labels, DatasetFiles.gzip(raw));

        var e = assertThrows(UserError.class, () -> ingest(bad, out, IfExists.REPLACE));

        assertTrue(e.getMessage().contains("label 77 of item 39"), e.getMessage());
        assertEquals(before, Ingests.tree(out));
        assertArrayEquals(manifest, Files.readAllBytes(out.resolve(IngestJob.MANIFEST)));
    }

    @Test
    void replaceNeverDeletesAFolderThatNoIngestWrote() throws Exception {
        Path out = tmp.resolve("home");
        DatasetFiles.writeString(out.resolve("thesis.tex"), "\\documentclass{article}");
        var e = assertThrows(UserError.class, () -> ingest(input("in", 10), out, IfExists.REPLACE));
        assertTrue(e.getMessage().endsWith("holds 'thesis.tex', which no previous output wrote; refusing to replace that directory"),
                e.getMessage());
        assertEquals(List.of("thesis.tex"), Ingests.tree(out));
        Files.writeString(out.resolve("thesis.tex"), "x");
        assertTrue(Arrays.equals("x".getBytes(), Files.readAllBytes(out.resolve("thesis.tex"))));
    }
}
