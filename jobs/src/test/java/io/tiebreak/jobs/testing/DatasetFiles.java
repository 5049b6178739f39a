package io.tiebreak.jobs.testing;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.MatlabType;
import us.hebi.matlab.mat.types.Matrix;
import us.hebi.matlab.mat.types.Struct;

/**
 * Writes small datasets in each published format, with known contents: sample i of a split has label
 * {@link #label} and pixel {@link #pixel}(i, c, y, x), so a test can check that every byte landed where it should.
 */
public final class DatasetFiles {
    private DatasetFiles() {}

    /** The value fixtures put at (sample, channel, row, column). */
    public static int pixel(long index, int c, int y, int x) {
        return (int) ((index * 37 + c * 101 + y * 7 + x * 3) & 0xff);
    }

    public static int label(long index, int classes) {
        return (int) ((index * 7 + 3) % classes);
    }

    /** C x H x W bytes of sample index, channel-major. */
    public static byte[] samplePixels(long index, int channels, int h, int w) {
        byte[] p = new byte[channels * h * w];
        for (int c = 0; c < channels; c++) for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) {
            p[(c * h + y) * w + x] = (byte) pixel(index, c, y, x);
        }
        return p;
    }

    // ---- IDX (MNIST family) ----

    public static byte[] idx(int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 0x08).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        return b.put(data).array();
    }

    public static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) { gz.write(data); }
        return out.toByteArray();
    }

    /**
     * Writes {prefix}{fileSplit}-images-idx3-ubyte[.gz] and the labels file: n images h x w. With transposed, items
     * are stored column-major as EMNIST does (the upright image is still {@link #samplePixels}).
     */
    public static void idxPair(Path dir, String prefix, String fileSplit, int n, int h, int w, int classes, boolean gz,
                               boolean transposed) throws IOException {
        Files.createDirectories(dir);
        byte[] images = new byte[n * h * w], labels = new byte[n];
        for (int i = 0; i < n; i++) {
            byte[] p = samplePixels(i, 1, h, w);
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) {
                images[i * h * w + (transposed ? x * h + y : y * w + x)] = p[y * w + x];
            }
            labels[i] = (byte) label(i, classes);
        }
        int[] dims = transposed ? new int[] {n, w, h} : new int[] {n, h, w};
        String ext = gz ? ".gz" : "";
        Files.write(dir.resolve(prefix + fileSplit + "-images-idx3-ubyte" + ext), gz ? gzip(idx(dims, images)) : idx(dims, images));
        Files.write(dir.resolve(prefix + fileSplit + "-labels-idx1-ubyte" + ext), gz ? gzip(idx(new int[] {n}, labels)) : idx(new int[] {n}, labels));
    }

    // ---- CIFAR binary ----

    /** One CIFAR record stream: label byte(s) then 3072 pixels, samples first..first+n-1 of the split. */
    public static byte[] cifarRecords(long first, int n, boolean cifar100) {
        int rec = (cifar100 ? 2 : 1) + 3072;
        byte[] out = new byte[n * rec];
        for (int i = 0; i < n; i++) {
            long index = first + i;
            int o = i * rec;
            if (cifar100) {
                out[o++] = (byte) label(index, 20);
                out[o++] = (byte) label(index, 100);
            } else {
                out[o++] = (byte) label(index, 10);
            }
            System.arraycopy(samplePixels(index, 3, 32, 32), 0, out, o, 3072);
        }
        return out;
    }

    /** data_batch_1..5.bin (perBatch each), test_batch.bin (test), batches.meta.txt in dir. */
    public static void cifar10(Path dir, int perBatch, int test) throws IOException {
        Files.createDirectories(dir);
        for (int b = 1; b <= 5; b++) Files.write(dir.resolve("data_batch_" + b + ".bin"), cifarRecords((b - 1L) * perBatch, perBatch, false));
        Files.write(dir.resolve("test_batch.bin"), cifarRecords(0, test, false));
        Files.writeString(dir.resolve("batches.meta.txt"), String.join("\n", cifar10Classes()) + "\n\n");
    }

    public static List<String> cifar10Classes() {
        return List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");
    }

    /** train.bin, test.bin, fine_label_names.txt (f0..f99) and coarse_label_names.txt (c0..c19). */
    public static void cifar100(Path dir, int train, int test) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve("train.bin"), cifarRecords(0, train, true));
        Files.write(dir.resolve("test.bin"), cifarRecords(0, test, true));
        List<String> fine = new ArrayList<>(), coarse = new ArrayList<>();
        for (int i = 0; i < 100; i++) fine.add("f" + i);
        for (int i = 0; i < 20; i++) coarse.add("c" + i);
        Files.writeString(dir.resolve("fine_label_names.txt"), String.join("\n", fine) + "\n");
        Files.writeString(dir.resolve("coarse_label_names.txt"), String.join("\n", coarse) + "\n");
    }

    /** A .tar.gz of dir's files under topFolder/, as the published archives are laid out. */
    public static void tarGz(Path dir, Path archive, String topFolder) throws IOException {
        tarGz(dir, archive, topFolder, java.util.zip.Deflater.DEFAULT_COMPRESSION);
    }

    /**
     * As above at a deflate level: 0 stores the bytes as they are, so a byte changed inside the archive still inflates
     * (to the wrong value), and only gzip's CRC can tell.
     */
    public static void tarGz(Path dir, Path archive, String topFolder, int level) throws IOException {
        try (OutputStream f = Files.newOutputStream(archive);
             GZIPOutputStream gz = new GZIPOutputStream(f) { { def.setLevel(level); } };
             TarArchiveOutputStream tar = new TarArchiveOutputStream(gz); Stream<Path> files = Files.list(dir)) {
            TarArchiveEntry top = new TarArchiveEntry(topFolder + "/");
            tar.putArchiveEntry(top);
            tar.closeArchiveEntry();
            for (Path p : files.sorted().toList()) {
                TarArchiveEntry e = new TarArchiveEntry(p.toFile(), topFolder + "/" + p.getFileName());
                tar.putArchiveEntry(e);
                Files.copy(p, tar);
                tar.closeArchiveEntry();
            }
        }
    }

    // ---- SVHN (.mat, MATLAB v5 written by MFL) ----

    /** X uint8 [32, 32, 3, n] (column-major) and y [n, 1] doubles 1..10, 10 meaning the digit 0. */
    public static void svhn(Path file, int n) throws IOException {
        Files.createDirectories(file.getParent());
        Matrix x = Mat5.newMatrix(new int[] {32, 32, 3, n}, MatlabType.UInt8);
        Matrix y = Mat5.newMatrix(n, 1);
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 3; c++) for (int h = 0; h < 32; h++) for (int w = 0; w < 32; w++) {
                x.setByte(h + 32 * w + 1024 * c + 3072 * i, (byte) pixel(i, c, h, w));
            }
            int digit = label(i, 10);
            y.setDouble(i, digit == 0 ? 10 : digit);
        }
        try (MatFile mat = Mat5.newMatFile().addArray("X", x).addArray("y", y)) {
            Mat5.writeToFile(mat, file.toFile());
        }
    }

    /** The devkit's meta.mat: a struct array synsets with ILSVRC2012_ID and WNID (ids in the given order). */
    public static void devkitMeta(Path file, List<String> wnidsById) throws IOException {
        Struct s = Mat5.newStruct(wnidsById.size(), 1);
        for (int i = 0; i < wnidsById.size(); i++) {
            s.set("ILSVRC2012_ID", i, Mat5.newScalar(i + 1));
            s.set("WNID", i, Mat5.newString(wnidsById.get(i)));
        }
        try (MatFile mat = Mat5.newMatFile().addArray("synsets", s)) {
            Mat5.writeToFile(mat, file.toFile());
        }
    }

    // ---- images ----

    /** A smooth RGB image (JPEG keeps it close): color ramps that depend on seed. */
    public static BufferedImage smoothImage(int w, int h, long seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        int r0 = (int) (seed * 53 % 200), g0 = (int) (seed * 97 % 200), b0 = (int) (seed * 29 % 200);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) {
            int r = r0 + 55 * x / w, g = g0 + 55 * y / h, b = b0 + 55 * (x + y) / (w + h);
            img.setRGB(x, y, (r << 16) | (g << 8) | b);
        }
        return img;
    }

    public static byte[] jpeg(BufferedImage img) throws IOException {
        return write(new IIOImage(img, null, null));
    }

    public static byte[] grayJpeg(BufferedImage rgb) throws IOException {
        BufferedImage g = new BufferedImage(rgb.getWidth(), rgb.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster r = g.getRaster();
        for (int y = 0; y < g.getHeight(); y++) for (int x = 0; x < g.getWidth(); x++) r.setSample(x, y, 0, (rgb.getRGB(x, y) >> 8) & 0xff);
        return jpeg(g);
    }

    /**
     * An Adobe CMYK JPEG as Photoshop writes them (inverted samples, APP14 "Adobe" with transform 0) whose colors are
     * those of rgb: stored samples (R, G, B, 255) mean C = 255 - R, ..., K = 0.
     */
    public static byte[] cmykJpeg(BufferedImage rgb) throws IOException {
        WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, rgb.getWidth(), rgb.getHeight(), 4, null);
        for (int y = 0; y < rgb.getHeight(); y++) for (int x = 0; x < rgb.getWidth(); x++) {
            int p = rgb.getRGB(x, y);
            r.setSample(x, y, 0, (p >> 16) & 0xff);
            r.setSample(x, y, 1, (p >> 8) & 0xff);
            r.setSample(x, y, 2, p & 0xff);
            r.setSample(x, y, 3, 255);
        }
        byte[] plain = write(new IIOImage(r, null, null)); // 4 components, no JFIF, no Adobe marker yet
        byte[] adobe = {(byte) 0xff, (byte) 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0};
        byte[] out = new byte[plain.length + adobe.length];
        System.arraycopy(plain, 0, out, 0, 2); // SOI
        System.arraycopy(adobe, 0, out, 2, adobe.length);
        System.arraycopy(plain, 2, out, 2 + adobe.length, plain.length - 2);
        return out;
    }

    public static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    private static byte[] write(IIOImage image) throws IOException {
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            w.setOutput(out);
            ImageWriteParam p = w.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(0.95f);
            w.write(null, image, p);
        } finally {
            w.dispose();
        }
        return bytes.toByteArray();
    }

    public static void writeString(Path p, String s) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, s, StandardCharsets.UTF_8);
    }

    public static void write(Path p, byte[] b) throws IOException {
        Files.createDirectories(p.getParent());
        Files.write(p, b);
    }
}
