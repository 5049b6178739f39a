package io.tiebreak.jobs.ingest;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes an image file to RGB and brings it to a fixed square size the way torchvision's Resize(r) + CenterCrop(s)
 * do: the shorter side becomes r (the longer one keeps the aspect ratio, truncated), then the central s x s is kept.
 * Resampling is Pillow's antialiased bilinear filter (a triangle widened by the reduction factor), computed only for
 * the pixels the crop keeps.
 *
 * <p>The format is recognised from the content, not the name (ImageNet holds a PNG named .JPEG); JPEGs go through
 * TwelveMonkeys, which reads CMYK/YCCK and grayscale JPEGs. Like Pillow, a truncated file is an error while other
 * decoder warnings (extraneous bytes, an unusable ICC profile) are not. Grayscale becomes three equal channels, alpha
 * is dropped.
 */
final class ImageDecoder {
    private ImageDecoder() {}

    static {
        // Executors load our jars through their own class loader: register the plugins that loader sees.
        ImageIO.setUseCache(false);
        ImageIO.scanForPlugins();
    }

    /** Why an image could not be decoded (the message is recorded in the manifest). */
    static final class UndecodableImage extends IOException {
        private static final long serialVersionUID = 1L;
        UndecodableImage(String message) { super(message); }
        UndecodableImage(String message, Throwable cause) { super(message, cause); }
    }

    /** An image as decoded: channels x height x width bytes, channel-major. */
    record Planar(int channels, int height, int width, byte[] pixels) {
        Pixels view() {
            int plane = height * width;
            int[] offsets = new int[channels];
            for (int c = 0; c < channels; c++) offsets[c] = c * plane;
            return new Pixels(pixels, height, width, 1, width, offsets);
        }
    }

    /**
     * RGB pixels in place, whatever the layout: channel c of pixel (y, x) is data[offset[c] + y * rowStride + x *
     * pixelStride]. Decoded JPEGs are read this way directly from the decoder's raster (interleaved BGR, or gray with
     * all three offsets equal), without a full-size copy.
     */
    record Pixels(byte[] data, int height, int width, int pixelStride, int rowStride, int[] offset) {}

    /** Decodes, resizes the shorter side to resizeTo and center-crops crop x crop; returns 3 x crop x crop bytes. */
    static byte[] decodeResizeCrop(byte[] file, int resizeTo, int crop) throws UndecodableImage {
        return resizeCrop(decodePixels(file), resizeTo, crop);
    }

    /** The image as 3-channel RGB planes (a copy; for callers that want the full image). */
    static Planar decodeRgb(byte[] file) throws UndecodableImage {
        Pixels p = decodePixels(file);
        int w = p.width(), h = p.height(), plane = w * h;
        byte[] out = new byte[3 * plane];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                int src = p.offset()[c] + y * p.rowStride(), dst = c * plane + y * w;
                for (int x = 0; x < w; x++, src += p.pixelStride()) out[dst + x] = p.data()[src];
            }
        }
        return new Planar(3, h, w, out);
    }

    private static Pixels decodePixels(byte[] file) throws UndecodableImage {
        BufferedImage img = decode(file);
        int w = img.getWidth(), h = img.getHeight();
        Raster r = img.getRaster();
        if (r.getDataBuffer() instanceof DataBufferByte db && r.getSampleModel() instanceof ComponentSampleModel sm
                && db.getNumBanks() == 1 && isPlainByteLayout(img)) {
            // The decoder's own byte layout (JPEG: BGR or gray), read where it lies.
            int ps = sm.getPixelStride(), ss = sm.getScanlineStride();
            int origin = db.getOffset() - r.getSampleModelTranslateY() * ss - r.getSampleModelTranslateX() * ps;
            int[] band = sm.getBandOffsets();
            boolean gray = r.getNumBands() == 1;
            int[] offset = new int[3];
            for (int c = 0; c < 3; c++) offset[c] = origin + band[gray ? 0 : c];
            return new Pixels(db.getData(), h, w, ps, ss, offset);
        }
        // Anything else (palette or 16-bit PNG, ...): Java2D's conversion to sRGB.
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        int plane = w * h;
        byte[] out = new byte[3 * plane];
        for (int i = 0; i < plane; i++) {
            out[i] = (byte) (argb[i] >> 16);
            out[plane + i] = (byte) (argb[i] >> 8);
            out[2 * plane + i] = (byte) argb[i];
        }
        return new Planar(3, h, w, out).view();
    }

    /** Gray, BGR or ABGR bytes: the raw samples are the colors (bands in R, G, B[, A] order). */
    private static boolean isPlainByteLayout(BufferedImage img) {
        int t = img.getType();
        return t == BufferedImage.TYPE_3BYTE_BGR || t == BufferedImage.TYPE_BYTE_GRAY || t == BufferedImage.TYPE_4BYTE_ABGR;
    }

    private static BufferedImage decode(byte[] file) throws UndecodableImage {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(file))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new UndecodableImage("not an image format this reader knows (" + magic(file) + ")");
            ImageReader reader = readers.next();
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            try {
                reader.setInput(in, true, true);
                BufferedImage img = reader.read(0);
                for (String warning : warnings) {
                    String lower = warning.toLowerCase(Locale.ROOT);
                    if (lower.contains("truncated") || lower.contains("premature end")) {
                        throw new UndecodableImage("truncated " + reader.getFormatName() + " (" + warning + ")");
                    }
                }
                if (img.getWidth() <= 0 || img.getHeight() <= 0) throw new UndecodableImage("empty image");
                return img;
            } finally {
                reader.dispose();
            }
        } catch (UndecodableImage e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new UndecodableImage((isCutJpeg(file) ? "truncated JPEG, cannot decode (" : "cannot decode (")
                    + e.getMessage() + ")", e);
        }
    }

    /** A JPEG (SOI marker) that does not end with its EOI marker: the file was cut short. */
    private static boolean isCutJpeg(byte[] b) {
        int n = b.length;
        return n >= 2 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8
                && (n < 4 || (b[n - 2] & 0xff) != 0xff || (b[n - 1] & 0xff) != 0xd9);
    }

    private static String magic(byte[] b) {
        StringBuilder sb = new StringBuilder("starts with");
        for (int i = 0; i < Math.min(4, b.length); i++) sb.append(String.format(" %02x", b[i] & 0xff));
        return b.length == 0 ? "empty file" : sb.toString();
    }

    /** torchvision Resize(resizeTo) then CenterCrop(crop), with Pillow's antialiased bilinear resampling. */
    static byte[] resizeCrop(Planar img, int resizeTo, int crop) {
        return resizeCrop(img.view(), resizeTo, crop);
    }

    /**
     * As Pillow computes it for 8-bit images, so the bytes are the same as torchvision's: fixed-point weights
     * (22 fraction bits), a horizontal pass rounded to 8 bits, then a vertical pass over those bytes. A side that
     * keeps its size is not resampled (Pillow skips that pass).
     */
    static byte[] resizeCrop(Pixels img, int resizeTo, int crop) {
        int h = img.height(), w = img.width();
        int newH, newW;
        if (w <= h) {
            newW = resizeTo;
            newH = (int) ((long) resizeTo * h / w);
        } else {
            newH = resizeTo;
            newW = (int) ((long) resizeTo * w / h);
        }
        int top = (int) Math.rint((newH - crop) / 2.0), left = (int) Math.rint((newW - crop) / 2.0);
        Taps ty = Taps.of(h, newH, top, crop), tx = Taps.of(w, newW, left, crop);
        int firstRow = ty.first[0], rows = ty.first[crop - 1] + ty.count[crop - 1] - firstRow;
        byte[] data = img.data(), out = new byte[3 * crop * crop];
        int ps = img.pixelStride();
        int[] tmp = new int[rows * crop];
        long[] acc = new long[crop];
        for (int c = 0; c < 3; c++) {
            // Horizontal pass over the rows the vertical pass will need, only for the kept columns.
            for (int y = 0; y < rows; y++) {
                int row = img.offset()[c] + (firstRow + y) * img.rowStride();
                for (int x = 0; x < crop; x++) {
                    long sum = Taps.HALF;
                    int k0 = x * tx.stride, n = tx.count[x], s = row + tx.first[x] * ps;
                    for (int k = 0; k < n; k++, s += ps) sum += (long) tx.weight[k0 + k] * (data[s] & 0xff);
                    tmp[y * crop + x] = Taps.clip8(sum);
                }
            }
            // Vertical pass, a row at a time (contiguous, so the JIT can vectorise it).
            int dst = c * crop * crop;
            for (int y = 0; y < crop; y++) {
                int k0 = y * ty.stride, n = ty.count[y], r0 = ty.first[y] - firstRow;
                java.util.Arrays.fill(acc, Taps.HALF);
                for (int k = 0; k < n; k++) {
                    long wk = ty.weight[k0 + k];
                    int src = (r0 + k) * crop;
                    for (int x = 0; x < crop; x++) acc[x] += wk * tmp[src + x];
                }
                for (int x = 0; x < crop; x++) out[dst + y * crop + x] = (byte) Taps.clip8(acc[x]);
            }
        }
        return out;
    }

    /**
     * Pillow's resampling coefficients for output positions [start, start + n) of an axis scaled from in to out:
     * each output reads count[i] inputs from first[i] with normalised triangle-filter weights in fixed point
     * ({@link #BITS} fraction bits, rounded half away from zero as Pillow does). An axis that keeps its size gets
     * one weight of 1 per output: the pass Pillow skips changes nothing.
     */
    private record Taps(int[] first, int[] count, int[] weight, int stride) {
        static final int BITS = 22;
        static final long HALF = 1L << (BITS - 1);

        static int clip8(long sum) {
            long v = sum >> BITS;
            return v < 0 ? 0 : (int) Math.min(v, 255);
        }

        static Taps of(int in, int out, int start, int n) {
            if (in == out) {
                int[] first = new int[n], count = new int[n], weight = new int[n];
                for (int i = 0; i < n; i++) {
                    first[i] = start + i;
                    count[i] = 1;
                    weight[i] = 1 << BITS;
                }
                return new Taps(first, count, weight, 1);
            }
            double scale = (double) in / out, filterScale = Math.max(scale, 1.0), support = filterScale; // bilinear: 1
            int stride = (int) Math.ceil(support) * 2 + 1;
            int[] first = new int[n], count = new int[n];
            int[] weight = new int[n * stride];
            for (int i = 0; i < n; i++) {
                double center = (start + i + 0.5) * scale;
                int lo = Math.max((int) (center - support + 0.5), 0);
                int hi = Math.min((int) (center + support + 0.5), in);
                double total = 0;
                double[] ws = new double[hi - lo];
                for (int x = lo; x < hi; x++) {
                    double d = Math.abs((x - center + 0.5) / filterScale);
                    ws[x - lo] = d < 1 ? 1 - d : 0;
                    total += ws[x - lo];
                }
                first[i] = lo;
                count[i] = hi - lo;
                for (int k = 0; k < ws.length; k++) {
                    double v = total == 0 ? 0 : ws[k] / total * (1 << BITS);
                    weight[i * stride + k] = (int) (v < 0 ? v - 0.5 : v + 0.5);
                }
            }
            return new Taps(first, count, weight, stride);
        }
    }
}
