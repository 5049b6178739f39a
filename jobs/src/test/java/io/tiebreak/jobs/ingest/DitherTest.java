package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.testing.DatasetFiles;
import io.tiebreak.jobs.testing.TiebreakCli;
import io.tiebreak.jobs.testing.TiebreakCli.Result;
import io.tiebreak.jobs.errors.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tiebreak dither writes IDX files that ingest reads, with seeded noise that leaves no flat patch. */
class DitherTest {
    @TempDir Path tmp;

    private static final int H = 12, W = 10, N = 20, A = 32;

    /** A published-layout folder whose images are black (as Fashion-MNIST's background) but for a white square. */
    private Path flatImages() throws Exception {
        Path in = tmp.resolve("in");
        Files.createDirectories(in);
        byte[] images = new byte[N * H * W], labels = new byte[N];
        for (int i = 0; i < N; i++) {
            for (int y = 3; y < 7; y++) for (int x = 2; x < 6; x++) images[i * H * W + y * W + x] = (byte) 255;
            labels[i] = (byte) DatasetFiles.label(i, 10);
        }
        Files.write(in.resolve("train-images-idx3-ubyte.gz"), DatasetFiles.gzip(DatasetFiles.idx(new int[] {N, H, W}, images)));
        Files.write(in.resolve("train-labels-idx1-ubyte"), DatasetFiles.idx(new int[] {N}, labels));
        // The test split too: ingest wants every split a data set publishes.
        Files.write(in.resolve("t10k-images-idx3-ubyte"), DatasetFiles.idx(new int[] {N, H, W}, images));
        Files.write(in.resolve("t10k-labels-idx1-ubyte"), DatasetFiles.idx(new int[] {N}, labels));
        return in;
    }

    private Ingests.All ingested(Path idxFolder, String name) throws Exception {
        Manifest m = Ingests.ingest(Dataset.FASHION_MNIST, idxFolder, tmp.resolve(name), 1 << 20);
        assertEquals(N, m.split("train").count());
        return Ingests.readAll(DatasetReader.open(tmp.resolve(name).toString(), "train", Ingests.conf()));
    }

    @Test
    void ditheredImagesIngestLikeThePublishedOnesWithNoiseInsteadOfFlatRegions() throws Exception {
        Path in = flatImages();
        Result r = TiebreakCli.run("dither", "-i", in.toString(), "-o", tmp.resolve("d").toString(), "--amplitude",
                Integer.toString(A), "--seed", "5");
        assertEquals(0, r.exit(), r.err());
        // Both splits.
        assertEquals(2 * N + " images dithered (amplitude 32, seed 5) into " + tmp.resolve("d") + "\n", r.out());
        assertTrue(Files.readString(tmp.resolve("d/DITHER.txt")).contains("--amplitude 32 --seed 5"));

        Ingests.All plain = ingested(in, "plain"), dithered = ingested(tmp.resolve("d"), "dithered");
        assertArrayEquals(plain.labels(), dithered.labels(), "labels are unchanged");
        for (int i = 0; i < N; i++) {
            byte[] p = plain.pixels()[i], d = dithered.pixels()[i];
            for (int j = 0; j < p.length; j++) {
                int base = ((p[j] & 0xff) * (255 - A) + 127) / 255, v = d[j] & 0xff;
                assertTrue(v >= base && v <= base + A, "pixel " + j + " of image " + i + ": " + v + " from " + (p[j] & 0xff));
            }
            // The black background held identical 3x3 patches side by side; the dithered one holds none.
            for (int y = 0; y + 3 <= H; y++) for (int x = 0; x + 4 <= W; x++) {
                assertFalse(samePatch(d, y, x, y, x + 1), "image " + i + " has identical patches at (" + y + "," + x + ")");
            }
        }
        assertTrue(samePatch(plain.pixels()[0], 0, 6, 0, 7), "the source had them");
    }

    private static boolean samePatch(byte[] img, int y0, int x0, int y1, int x1) {
        for (int dy = 0; dy < 3; dy++) for (int dx = 0; dx < 3; dx++) {
            if (img[(y0 + dy) * W + x0 + dx] != img[(y1 + dy) * W + x1 + dx]) return false;
        }
        return true;
    }

    @Test
    void theNoiseDependsOnTheSeedOnly() throws Exception {
        Path in = flatImages();
        Dither.write(in, tmp.resolve("a"), A, 1);
        Dither.write(in, tmp.resolve("b"), A, 1);
        Dither.write(in, tmp.resolve("c"), A, 2);
        byte[] a = Files.readAllBytes(tmp.resolve("a/train-images-idx3-ubyte.gz"));
        assertArrayEquals(a, Files.readAllBytes(tmp.resolve("b/train-images-idx3-ubyte.gz")));
        assertFalse(Arrays.equals(a, Files.readAllBytes(tmp.resolve("c/train-images-idx3-ubyte.gz"))));
        assertArrayEquals(Files.readAllBytes(in.resolve("train-labels-idx1-ubyte")),
                Files.readAllBytes(tmp.resolve("a/train-labels-idx1-ubyte")));
    }

    @Test
    void badInputIsOneClearLine() throws Exception {
        Path in = flatImages();
        String out = tmp.resolve("o").toString();
        Result amplitude = TiebreakCli.run("dither", "-i", in.toString(), "-o", out, "--amplitude", "0");
        assertEquals(ExitCodes.USER_ERROR, amplitude.exit());
        assertEquals("error: --amplitude must be 1 to 255, got 0\n", amplitude.err());

        Result empty = TiebreakCli.run("dither", "-i", tmp.toString(), "-o", out);
        assertEquals(ExitCodes.USER_ERROR, empty.exit());
        assertTrue(empty.err().contains("no IDX files found"), empty.err());

        Files.delete(in.resolve("train-labels-idx1-ubyte"));
        Result unpaired = TiebreakCli.run("dither", "-i", in.toString(), "-o", out);
        assertEquals("error: " + in + ": found train-images-idx3-ubyte.gz but not its labels file\n", unpaired.err());

        Path twice = flatImages();
        assertEquals(0, TiebreakCli.run("dither", "-i", twice.toString(), "-o", out).exit());
        Result again = TiebreakCli.run("dither", "-i", twice.toString(), "-o", out);
        assertEquals(ExitCodes.USER_ERROR, again.exit());
        assertTrue(again.err().contains("already exists"), again.err());
    }
}
