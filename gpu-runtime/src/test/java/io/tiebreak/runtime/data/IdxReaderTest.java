package io.tiebreak.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.random.Rng;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class IdxReaderTest {
    /** An IDX file of unsigned bytes with the given dimensions and data, as the MNIST files are written. */
    static byte[] idx(int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 0x08).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        return b.put(data).array();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) { gz.write(data); }
        return out.toByteArray();
    }

    static InputStream in(byte[] b) { return new ByteArrayInputStream(b); }

    private static final int N = 5, H = 3, W = 4;

    private static byte[] pixels() {
        byte[] p = new byte[N * H * W];
        for (int i = 0; i < p.length; i++) p[i] = (byte) (i * 7 + 3);
        return p;
    }

    private static final byte[] LABELS = {2, 0, 1, 2, 1};

    @Test
    void loadsAnImagePairPlainOrGzippedWithTheSamePixelsAndLabels() throws IOException {
        byte[] images = idx(new int[] {N, H, W}, pixels()), labels = idx(new int[] {N}, LABELS);
        for (boolean gz : new boolean[] {false, true}) {
            InMemoryImages d = IdxReader.loadImages(in(gz ? gzip(images) : images), "img", in(gz ? gzip(labels) : labels),
                    "lab", List.of("a", "b", "c"));
            assertEquals(N, d.size());
            assertEquals(1, d.channels());
            assertEquals(H, d.height());
            assertEquals(W, d.width());
            assertEquals(List.of("a", "b", "c"), d.classNames());
            byte[] px = new byte[N * H * W];
            int[] y = new int[N];
            try (ImageData.EpochReader r = d.epoch(Rng.of(1, "x"), false)) {
                assertEquals(N, r.next(px, y, N));
            }
            assertArrayEquals(pixels(), px);
            assertArrayEquals(new int[] {2, 0, 1, 2, 1}, y);
        }
    }

    @Test
    void derivesNumberedClassesFromTheLargestLabelWhenNoneAreGiven() throws IOException {
        InMemoryImages d = IdxReader.loadImages(in(idx(new int[] {N, H, W}, pixels())), "img",
                in(idx(new int[] {N}, LABELS)), "lab", null);
        assertEquals(List.of("0", "1", "2"), d.classNames());
    }

    @Test
    void readsItemByItemWithOffsets() throws IOException {
        try (IdxReader r = IdxReader.open(in(gzip(idx(new int[] {N, H, W}, pixels()))), "img")) {
            assertArrayEquals(new int[] {N, H, W}, r.dimensions());
            assertEquals(H * W, r.itemBytes());
            assertEquals(16 + 2L * H * W, r.offsetOfItem(2));
            byte[] one = new byte[H * W];
            r.readItems(one, 0, 1);
            assertArrayEquals(Arrays.copyOf(pixels(), H * W), one);
            assertEquals(N - 1, r.remaining());
        }
    }

    @Test
    void badMagicNamesTheFileTheOffsetAndWhatWasExpected() {
        byte[] bad = idx(new int[] {N}, LABELS);
        bad[1] = 0x08;
        var e = assertThrows(IdxReader.IdxFormatException.class, () -> IdxReader.open(in(bad), "labels.idx"));
        assertTrue(e.getMessage().startsWith("labels.idx at byte 0"), e.getMessage());
        assertTrue(e.getMessage().contains("expected 00 00 08"), e.getMessage());
    }

    @Test
    void unsupportedElementTypeIsRejectedAtByte2() {
        byte[] bad = idx(new int[] {N}, LABELS);
        bad[2] = 0x0d; // float
        var e = assertThrows(IdxReader.IdxFormatException.class, () -> IdxReader.open(in(bad), "f.idx"));
        assertTrue(e.getMessage().contains("at byte 2") && e.getMessage().contains("0x0d"), e.getMessage());
    }

    @Test
    void truncatedDataIsReportedWithTheOffsetWhereItEnds() throws IOException {
        byte[] full = idx(new int[] {N, H, W}, pixels());
        byte[] cut = Arrays.copyOf(full, full.length - 5);
        for (boolean gz : new boolean[] {false, true}) {
            var e = assertThrows(IdxReader.IdxFormatException.class, () -> IdxReader.loadImages(
                    in(gz ? gzip(cut) : cut), "train-images", in(idx(new int[] {N}, LABELS)), "lab", null));
            assertTrue(e.getMessage().startsWith("train-images" + (gz ? " (gzip)" : "") + " at byte " + (full.length - 5)),
                    e.getMessage());
            assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("needs " + full.length + " bytes"),
                    e.getMessage());
        }
    }

    @Test
    void aCutOffGzipStreamIsReportedAsTruncated() throws IOException {
        byte[] gz = gzip(idx(new int[] {N, H, W}, pixels()));
        byte[] cut = Arrays.copyOf(gz, gz.length - 12);
        var e = assertThrows(IdxReader.IdxFormatException.class, () -> IdxReader.loadImages(
                in(cut), "img.gz", in(idx(new int[] {N}, LABELS)), "lab", null));
        assertTrue(e.getMessage().startsWith("img.gz (gzip) at byte"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void trailingBytesMeanTheDimensionsDisagreeWithTheFileSize() {
        byte[] full = idx(new int[] {N, H, W}, pixels());
        byte[] longer = Arrays.copyOf(full, full.length + 10);
        var e = assertThrows(IdxReader.IdxFormatException.class, () -> IdxReader.loadImages(
                in(longer), "img", in(idx(new int[] {N}, LABELS)), "lab", null));
        assertTrue(e.getMessage().startsWith("img at byte " + full.length), e.getMessage());
        assertTrue(e.getMessage().contains("10 bytes after the last item") && e.getMessage().contains("disagree"),
                e.getMessage());
    }

    @Test
    void labelsOutOfRangeNameTheItemAndItsOffset() {
        byte[] labels = idx(new int[] {N}, new byte[] {0, 1, 7, 0, 1});
        var e = assertThrows(IdxReader.IdxFormatException.class, () -> IdxReader.loadImages(
                in(idx(new int[] {N, H, W}, pixels())), "img", in(labels), "labels.idx", List.of("a", "b", "c")));
        assertEquals("labels.idx at byte 10: label 7 of item 2 is outside [0, 3)", e.getMessage());
    }

    @Test
    void countsAndShapesMustMatch() {
        var fewer = assertThrows(IdxReader.IdxFormatException.class, () -> IdxReader.loadImages(
                in(idx(new int[] {N, H, W}, pixels())), "img", in(idx(new int[] {4}, Arrays.copyOf(LABELS, 4))), "lab", null));
        assertTrue(fewer.getMessage().contains("lab holds 4 labels but img holds 5 images"), fewer.getMessage());
        var swapped = assertThrows(IdxReader.IdxFormatException.class, () -> IdxReader.loadImages(
                in(idx(new int[] {N}, LABELS)), "lab-as-img", in(idx(new int[] {N}, LABELS)), "lab", null));
        assertTrue(swapped.getMessage().contains("lab-as-img") && swapped.getMessage().contains("3 dimensions"),
                swapped.getMessage());
        var zero = assertThrows(IdxReader.IdxFormatException.class, () -> IdxReader.open(
                in(idx(new int[] {N, 0, W}, new byte[0])), "z"));
        assertTrue(zero.getMessage().contains("at byte 8") && zero.getMessage().contains("dimension 1 has size 0"),
                zero.getMessage());
    }

    @Test
    void aWrongDimensionCountIsBlamedOnTheByteThatHoldsIt() throws IOException {
        // The count byte says 4 where the file holds a 3-dimensional images file: the error is at byte 3, not at
        // the "size" read from the pixels where a fourth dimension would be, nor at the end of a file too short.
        byte[] images = idx(new int[] {N, H, W}, pixels());
        images[3] = 4;
        for (byte[] file : List.of(images, gzip(images))) {
            var e = assertThrows(IdxReader.IdxFormatException.class, () -> IdxReader.loadImages(in(file), "img",
                    in(idx(new int[] {N}, LABELS)), "lab", null));
            assertTrue(e.getMessage().startsWith("img") && e.getMessage().contains("at byte 3")
                    && e.getMessage().contains("declares 4 dimensions, expected 3 dimensions"), e.getMessage());
        }
        byte[] labels = idx(new int[] {N}, LABELS);
        labels[3] = 2;
        var e = assertThrows(IdxReader.IdxFormatException.class, () -> IdxReader.loadImages(
                in(idx(new int[] {N, H, W}, pixels())), "img", in(labels), "lab", null));
        assertTrue(e.getMessage().startsWith("lab at byte 3: the header declares 2 dimensions, expected 1 dimension"),
                e.getMessage());
    }

    /** The Debian package dataset-fashion-mnist; values cross-checked with numpy on the same files. */
    @Test
    void readsTheRealFashionMnistTrainSplit() throws IOException {
        Path dir = Path.of("/usr/share/datasets/fashion-mnist");
        Assumptions.assumeTrue(Files.isDirectory(dir), "dataset-fashion-mnist is not installed");
        InMemoryImages train = IdxReader.loadImages(dir.resolve("train-images-idx3-ubyte.gz"),
                dir.resolve("train-labels-idx1-ubyte.gz"), null);
        assertEquals(60000, train.size());
        assertEquals(28, train.height());
        assertEquals(10, train.classes());
        assertEquals(9, train.label(0));
        byte[] px = new byte[28 * 28];
        int[] y = new int[1];
        try (ImageData.EpochReader r = train.epoch(Rng.of(0, "x"), false)) {
            r.next(px, y, 1);
        }
        assertEquals(237, px[14 * 28 + 12] & 0xff);
    }
}
