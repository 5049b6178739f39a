package io.tiebreak.runtime.data;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads an IDX file (the format of MNIST, Fashion-MNIST, KMNIST and EMNIST), gzipped or not, item by item from a
 * stream. Layout: magic {@code 00 00 TT DD} (TT the element type, only 0x08 unsigned byte is used by these datasets;
 * DD the number of dimensions), DD big-endian int32 sizes, then the elements row-major.
 *
 * <p>Every format error is an {@link IdxFormatException} naming the source, the byte offset within the IDX data
 * (after gunzip, when the file is gzipped) and what was expected. The data must end exactly where the header says:
 * a short file is reported as truncated, a long one as dimensions that disagree with the file size.
 */
public final class IdxReader implements Closeable {
    /** The element type code of unsigned bytes, the only one the MNIST family uses. */
    public static final int UNSIGNED_BYTE = 0x08;

    private final InputStream in;
    private final String source;
    private final boolean gzipped;
    private final int[] dims;
    private final int itemBytes;
    private final int headerBytes;
    private long offset;
    private int itemsRead;

    /** Images files have 3 dimensions (count, height, width), labels files 1 (count). */
    public static final int IMAGES = 3, LABELS = 1;

    private IdxReader(InputStream in, String source, boolean gzipped, int expectedRank) throws IOException {
        this.in = in;
        this.source = source;
        this.gzipped = gzipped;
        byte[] magic = new byte[4];
        readFully(magic, 0, 4, "the 4-byte IDX magic number");
        if (magic[0] != 0 || magic[1] != 0) {
            throw error(0, String.format("bad magic number %02x %02x %02x %02x, expected 00 00 08 <dimensions>"
                    + " (is this an IDX file?)", magic[0] & 0xff, magic[1] & 0xff, magic[2] & 0xff, magic[3] & 0xff));
        }
        if ((magic[2] & 0xff) != UNSIGNED_BYTE) {
            throw error(2, String.format("element type 0x%02x is not supported, expected 0x08 (unsigned byte)",
                    magic[2] & 0xff));
        }
        int rank = magic[3] & 0xff;
        if (rank == 0) throw error(3, "the header declares 0 dimensions, expected at least 1");
        // Checked here, at the byte that says it, before the sizes: a wrong count would otherwise show up later as
        // a strange size or a file of the wrong length, blamed on bytes that are not at fault.
        if (expectedRank > 0 && rank != expectedRank) {
            throw error(3, "the header declares " + rank + (rank == 1 ? " dimension" : " dimensions") + ", expected "
                    + (expectedRank == IMAGES ? "3 dimensions (count, height, width) for an images file"
                    : "1 dimension (count) for a labels file"));
        }
        dims = new int[rank];
        byte[] size = new byte[4];
        long item = 1;
        for (int d = 0; d < rank; d++) {
            long at = offset;
            readFully(size, 0, 4, "the size of dimension " + d + " of " + rank);
            long v = ((size[0] & 0xffL) << 24) | ((size[1] & 0xff) << 16) | ((size[2] & 0xff) << 8) | (size[3] & 0xff);
            if (v > Integer.MAX_VALUE || (d > 0 && v == 0)) {
                throw error(at, "dimension " + d + " has size " + v + ", expected 1 to " + Integer.MAX_VALUE);
            }
            dims[d] = (int) v;
            if (d > 0) item *= v;
            if (item > Integer.MAX_VALUE - 8) throw error(at, "one item would hold " + item + " bytes, too many");
        }
        itemBytes = (int) item;
        headerBytes = 4 + 4 * rank;
    }

    /** Opens an IDX stream of any number of dimensions; gzip is recognised by its magic bytes, whatever the name says. */
    public static IdxReader open(InputStream in, String source) throws IOException {
        return open(in, source, 0);
    }

    /** Opens an IDX stream whose header must declare expectedRank dimensions ({@link #IMAGES}, {@link #LABELS}). */
    public static IdxReader open(InputStream in, String source, int expectedRank) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
        buffered.mark(2);
        int b0 = buffered.read(), b1 = buffered.read();
        buffered.reset();
        boolean gz = b0 == 0x1f && b1 == 0x8b;
        InputStream data = gz ? new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16), 1 << 16) : buffered;
        return new IdxReader(data, source, gz, expectedRank);
    }

    public String source() { return source; }
    public int[] dimensions() { return dims.clone(); }
    /** Number of items: the size of the first dimension. */
    public int count() { return dims[0]; }
    /** Bytes per item: the product of the other dimensions (1 for a label file). */
    public int itemBytes() { return itemBytes; }
    public int remaining() { return dims[0] - itemsRead; }
    /** Byte offset of item i in the (decompressed) IDX data. */
    public long offsetOfItem(int i) { return headerBytes + (long) i * itemBytes; }

    /**
     * Reads the next n items into dst from off. After the last item it checks that the data ends there.
     */
    public void readItems(byte[] dst, int off, int n) throws IOException {
        if (n > remaining()) throw new IllegalStateException(source + ": asked for " + n + " items, " + remaining() + " left");
        long bytes = (long) n * itemBytes;
        if (bytes > Integer.MAX_VALUE) throw new IllegalArgumentException("cannot read " + bytes + " bytes at once");
        readFully(dst, off, (int) bytes, "the data of items " + itemsRead + " to " + (itemsRead + n - 1));
        itemsRead += n;
        if (remaining() == 0) expectEnd();
    }

    /**
     * Reads every item left without keeping them, then checks that the data ends there (and, gzipped, that the CRC
     * and length are right): the whole file checked in one pass, in constant memory.
     */
    public void skipToEnd() throws IOException {
        if (remaining() == 0) {
            expectEnd();
            return;
        }
        int per = Math.max(1, (1 << 16) / Math.max(1, itemBytes));
        byte[] buf = new byte[Math.max(1, Math.min(per, remaining())) * itemBytes];
        while (remaining() > 0) readItems(buf, 0, Math.min(per, remaining()));
    }

    /**
     * Reads the next n labels (1-byte items) into dst[off...]; each must be below classes (no bound when classes is 0).
     */
    public void readLabels(int[] dst, int off, int n, int classes) throws IOException {
        if (itemBytes != 1) {
            throw new IdxFormatException(where(headerBytes) + ": expected a label file (one dimension), found dimensions "
                    + Arrays.toString(dims));
        }
        byte[] buf = new byte[Math.min(n, 1 << 16)];
        for (int done = 0; done < n; ) {
            int k = Math.min(buf.length, n - done);
            int first = itemsRead;
            readItems(buf, 0, k);
            for (int i = 0; i < k; i++) {
                int label = buf[i] & 0xff;
                if (classes > 0 && label >= classes) {
                    throw error(offsetOfItem(first + i), "label " + label + " of item " + (first + i)
                            + " is outside [0, " + classes + ")");
                }
                dst[off + done + i] = label;
            }
            done += k;
        }
    }

    private void expectEnd() throws IOException {
        int extra = 0;
        try {
            byte[] probe = new byte[4096];
            for (int r; (r = in.read(probe)) > 0 && extra < (1 << 20); ) extra += r;
        } catch (EOFException | ZipException e) {
            throw error(offset, "the data after the last item is unreadable (" + e.getMessage() + ")");
        }
        if (extra > 0) {
            throw error(offset, "found " + (extra >= (1 << 20) ? "at least " : "") + extra
                    + " bytes after the last item: the dimensions " + Arrays.toString(dims)
                    + " disagree with the file size (expected it to end at byte " + offset + ")");
        }
    }

    private void readFully(byte[] dst, int off, int len, String what) throws IOException {
        try {
            while (len > 0) {
                int r = in.read(dst, off, len);
                if (r < 0) throw error(offset, "truncated: the data ends here, while reading " + what + "; " + expectation());
                off += r;
                len -= r;
                offset += r;
            }
        } catch (EOFException | ZipException e) {
            // GZIPInputStream: a cut-off or damaged gzip stream.
            throw error(offset, "truncated or damaged gzip data while reading " + what + " (" + e.getMessage() + "); "
                    + expectation());
        }
    }

    private String expectation() {
        if (itemBytes == 0) return "the header is incomplete";
        return "the header (dimensions " + Arrays.toString(dims) + ") needs " + offsetOfItem(dims[0]) + " bytes";
    }

    private String where(long at) {
        return source + (gzipped ? " (gzip)" : "") + " at byte " + at;
    }

    private IdxFormatException error(long at, String what) {
        return new IdxFormatException(where(at) + (gzipped ? " of the decompressed data" : "") + ": " + what);
    }

    @Override
    public void close() throws IOException { in.close(); }

    /** An IDX file that is not what its header or the caller says it is. A user error: the message says it all. */
    public static final class IdxFormatException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        public IdxFormatException(String message) { super(message); }
    }

    // ---- loading a whole images + labels pair ----

    /**
     * Loads an images file (N x H x W) and its labels file (N) into a single-channel {@link InMemoryImages}.
     * classNames may be null: the classes are then "0" to the largest label found.
     */
    public static InMemoryImages loadImages(InputStream images, String imagesSource, InputStream labels,
                                            String labelsSource, List<String> classNames) throws IOException {
        try (IdxReader img = open(images, imagesSource, IMAGES); IdxReader lab = open(labels, labelsSource, LABELS)) {
            int[] d = img.dims;
            if (lab.count() != img.count()) {
                throw new IdxFormatException(labelsSource + " holds " + lab.count() + " labels but " + imagesSource
                        + " holds " + img.count() + " images");
            }
            long total = (long) img.count() * img.itemBytes;
            if (total > Integer.MAX_VALUE - 8) {
                throw new IdxFormatException(imagesSource + ": " + total + " bytes of pixels do not fit in one array");
            }
            byte[] pixels = new byte[(int) total];
            int[] y = new int[lab.count()];
            img.readItems(pixels, 0, img.count());
            lab.readLabels(y, 0, y.length, classNames == null ? 0 : classNames.size());
            List<String> names = classNames != null ? classNames : numberedClasses(Arrays.stream(y).max().orElse(0) + 1);
            return new InMemoryImages(1, d[1], d[2], names, pixels, y);
        }
    }

    /** {@link #loadImages(InputStream, String, InputStream, String, List)} from two files. */
    public static InMemoryImages loadImages(Path images, Path labels, List<String> classNames) throws IOException {
        try (InputStream i = Files.newInputStream(images); InputStream l = Files.newInputStream(labels)) {
            return loadImages(i, images.toString(), l, labels.toString(), classNames);
        }
    }

    /** "0", "1", ... "n-1": class names when a dataset ships none. */
    public static List<String> numberedClasses(int n) {
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) names.add(Integer.toString(i));
        return List.copyOf(names);
    }
}
