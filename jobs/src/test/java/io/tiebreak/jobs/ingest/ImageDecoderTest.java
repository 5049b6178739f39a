package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.testing.DatasetFiles;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {
    /** Mean absolute difference between decoded RGB planes and the image they were written from. */
    private static double meanAbsDiff(ImageDecoder.Planar p, BufferedImage img) {
        double sum = 0;
        int plane = p.height() * p.width();
        for (int y = 0; y < p.height(); y++) for (int x = 0; x < p.width(); x++) {
            int rgb = img.getRGB(x, y);
            for (int c = 0; c < 3; c++) {
                sum += Math.abs((p.pixels()[c * plane + y * p.width() + x] & 0xff) - ((rgb >> (16 - 8 * c)) & 0xff));
            }
        }
        return sum / (3.0 * plane);
    }

    @Test
    void rgbCmykAndAPngNamedJpegDecodeToTheSameColors() throws Exception {
        BufferedImage img = DatasetFiles.smoothImage(40, 30, 3);
        for (byte[] file : new byte[][] {DatasetFiles.jpeg(img), DatasetFiles.cmykJpeg(img), DatasetFiles.png(img)}) {
            ImageDecoder.Planar p = ImageDecoder.decodeRgb(file);
            assertEquals(List3.of(3, 30, 40), List3.of(p.channels(), p.height(), p.width()));
            assertTrue(meanAbsDiff(p, img) < 3, "mean abs diff " + meanAbsDiff(p, img));
        }
    }

    @Test
    void grayscaleBecomesThreeEqualChannels() throws Exception {
        BufferedImage img = DatasetFiles.smoothImage(24, 16, 5);
        ImageDecoder.Planar p = ImageDecoder.decodeRgb(DatasetFiles.grayJpeg(img));
        int plane = 24 * 16;
        byte[] r = Arrays.copyOfRange(p.pixels(), 0, plane);
        assertArrayEquals(r, Arrays.copyOfRange(p.pixels(), plane, 2 * plane));
        assertArrayEquals(r, Arrays.copyOfRange(p.pixels(), 2 * plane, 3 * plane));
        // The gray JPEG holds the green channel; decoding keeps its values (no gamma change).
        double diff = 0;
        for (int y = 0; y < 16; y++) for (int x = 0; x < 24; x++) diff += Math.abs((r[y * 24 + x] & 0xff) - ((img.getRGB(x, y) >> 8) & 0xff));
        assertTrue(diff / plane < 2, "mean abs diff " + diff / plane);
    }

    @Test
    void truncatedAndNonImageFilesAreUndecodable() throws Exception {
        byte[] jpeg = DatasetFiles.jpeg(DatasetFiles.smoothImage(64, 64, 1));
        var cut = assertThrows(ImageDecoder.UndecodableImage.class, () -> ImageDecoder.decodeRgb(Arrays.copyOf(jpeg, jpeg.length / 2)));
        assertTrue(cut.getMessage().startsWith("truncated"), cut.getMessage());
        var text = assertThrows(ImageDecoder.UndecodableImage.class, () -> ImageDecoder.decodeRgb("hello".getBytes()));
        assertEquals("not an image format this reader knows (starts with 68 65 6c 6c)", text.getMessage());
        var empty = assertThrows(ImageDecoder.UndecodableImage.class, () -> ImageDecoder.decodeRgb(new byte[0]));
        assertTrue(empty.getMessage().contains("empty file"), empty.getMessage());
    }

    @Test
    void resizeCropHalvesWithTheAntialiasedBilinearFilterAndKeepsTheCenter() {
        // 40 wide, 20 high, value 4x in every channel: the shorter side 20 -> 10 halves both sides (20 x 10), and
        // the 10 x 10 center crop starts at column 5. Pillow's triangle filter widened to 2 pixels weighs source
        // columns 2j+9 .. 2j+12 by 1/8, 3/8, 3/8, 1/8: output column j of the crop is 4 * (2(j+5) + 0.5) = 8j + 42.
        int w = 40, h = 20;
        byte[] px = new byte[3 * h * w];
        for (int c = 0; c < 3; c++) for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) px[(c * h + y) * w + x] = (byte) (4 * x);
        byte[] out = ImageDecoder.resizeCrop(new ImageDecoder.Planar(3, h, w, px), 10, 10);
        for (int c = 0; c < 3; c++) for (int y = 0; y < 10; y++) for (int x = 0; x < 10; x++) {
            assertEquals(8 * x + 42, out[(c * 10 + y) * 10 + x] & 0xff, "c" + c + " y" + y + " x" + x);
        }
    }

    @Test
    void aConstantImageStaysConstantAtAnyScaleAndCrop() {
        for (int[] hw : new int[][] {{375, 500}, {500, 333}, {17, 9}, {8, 8}}) {
            byte[] px = new byte[3 * hw[0] * hw[1]];
            Arrays.fill(px, (byte) 201);
            for (int[] rc : new int[][] {{32, 32}, {256, 224}, {12, 8}}) {
                byte[] out = ImageDecoder.resizeCrop(new ImageDecoder.Planar(3, hw[0], hw[1], px), rc[0], rc[1]);
                assertEquals(3 * rc[1] * rc[1], out.length);
                for (byte b : out) assertEquals(201, b & 0xff);
            }
        }
    }

    /** List.of that reads well in assertions about shapes. */
    private static final class List3 {
        static java.util.List<Integer> of(int a, int b, int c) { return java.util.List.of(a, b, c); }
    }
}
