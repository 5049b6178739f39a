package io.tiebreak.jobs.ingest;

import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.fs.Redaction;
import io.tiebreak.runtime.data.IdxReader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.format.Mat5Reader;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.MatlabType;
import us.hebi.matlab.mat.types.Matrix;
import us.hebi.matlab.mat.types.Source;
import us.hebi.matlab.mat.types.Sources;

/**
 * SVHN cropped digits: {@code train_32x32.mat}, {@code test_32x32.mat}, {@code extra_32x32.mat} (MATLAB v5 files,
 * read with MFL). X is uint8 [32, 32, 3, N] in MATLAB's column-major order, y is [N, 1] with labels 1..10 where 10
 * means the digit 0. The sample index is the position along N. A task holds one file's X inflated in memory (about
 * 1.6 GB for extra). Every requested split's file must be there and hold the published number of images (unless
 * subsets are allowed).
 */
final class SvhnSource implements DatasetSource {
    /** Images per published file. */
    private static final Map<String, Integer> PUBLISHED = Map.of("train", 73_257, "test", 26_032, "extra", 531_131);
    private static final int SIDE = 32, PLANE = SIDE * SIDE, PIXELS = 3 * PLANE;

    private final String input;
    private final List<String> splits;
    private final boolean allowSubset;

    SvhnSource(String input, List<String> splits, boolean allowSubset) {
        this.input = input;
        this.splits = splits;
        this.allowSubset = allowSubset;
    }

    @Override
    public SourcePlan plan(Configuration conf, int parallelism) throws IOException {
        Path dir = HadoopFs.qualify(HadoopFs.path(input), conf);
        String shownDir = Redaction.uri(dir.toString());
        if (!HadoopFs.status(dir, conf).isDirectory()) {
            throw BadInput.in(shownDir, "expected a folder holding train_32x32.mat, test_32x32.mat and/or extra_32x32.mat");
        }
        // The file list first: everything missing, said at once.
        List<String> missing = new ArrayList<>();
        for (String split : splits) if (!HadoopFs.exists(new Path(dir, split + "_32x32.mat"), conf)) missing.add(split);
        if (!missing.isEmpty()) {
            List<String> others = splits.stream().filter(s -> !missing.contains(s)).toList();
            throw BadInput.in(shownDir, String.join(", ", missing.stream().map(s -> s + "_32x32.mat").toList())
                    + (missing.size() == 1 ? " is" : " are") + " missing; SVHN publishes train_32x32.mat, test_32x32.mat"
                    + " and extra_32x32.mat" + (others.isEmpty() ? "" : " (--splits " + String.join(",", others)
                    + " ingests the others alone)"));
        }
        List<SourcePlan.SplitPlan> plans = new ArrayList<>();
        for (String split : splits) {
            Path file = new Path(dir, split + "_32x32.mat");
            String shown = Redaction.uri(file.toString());
            if (HadoopFs.status(file, conf).getLen() == 0) throw BadInput.in(shown, "empty (0 bytes)");
            int n = peekCount(file, conf), published = PUBLISHED.get(split);
            if (n == 0) throw BadInput.in(shown, "holds 0 images");
            if (n > published || (n < published && !allowSubset)) {
                throw BadInput.in(shown, "holds " + n + " images, SVHN publishes " + published + " in " + file.getName()
                        + (n < published ? " (--allow-subset accepts a hand-made subset)" : ""));
            }
            checkCompressed(file, conf, shown);
            plans.add(new SourcePlan.SplitPlan(split, n, true, List.of(new SvhnPart(split, file.toString()))));
        }
        return new SourcePlan("svhn", shownDir, 3, SIDE, SIDE, IdxReader.numberedClasses(10), plans, Map.of());
    }

    /** MAT v5: a 128-byte header, then elements of an 8-byte tag (type, byte count) and data; type 15 is zlib data. */
    private static final int MAT_HEADER = 128, MI_COMPRESSED = 15;

    /**
     * Inflates every compressed element of a MAT v5 file once, in constant memory, so that zlib checks its Adler-32
     * and that each stream ends where its tag says: a damaged or cut file fails here, on the driver, before anything
     * is written (MFL, which the tasks read with, checks the same while it loads the data).
     */
    static void checkCompressed(Path file, Configuration conf, String shown) throws IOException {
        long size = HadoopFs.status(file, conf).getLen();
        try (java.io.DataInputStream in = new java.io.DataInputStream(new BufferedInputStream(HadoopFs.open(file, conf), 1 << 16))) {
            byte[] header = new byte[MAT_HEADER];
            in.readFully(header);
            boolean little = header[126] == 'I' && header[127] == 'M';
            long pos = MAT_HEADER;
            while (pos < size) {
                byte[] tag = new byte[8];
                in.readFully(tag);
                java.nio.ByteBuffer t = java.nio.ByteBuffer.wrap(tag).order(little ? java.nio.ByteOrder.LITTLE_ENDIAN
                        : java.nio.ByteOrder.BIG_ENDIAN);
                int type = t.getInt();
                long bytes = t.getInt() & 0xffffffffL;
                // Compressed elements follow each other unpadded; others are padded to 8 bytes.
                long end = pos + 8 + (type == MI_COMPRESSED ? bytes : (bytes + 7) & ~7L);
                if (end > size) {
                    throw BadInput.at(shown, pos, "truncated: the element starting here declares " + bytes
                            + " bytes, the file ends " + (size - pos - 8) + " bytes after its tag");
                }
                long left = end - pos - 8;
                if (type == MI_COMPRESSED) {
                    java.util.zip.Inflater inflater = new java.util.zip.Inflater();
                    Bounded element = new Bounded(in, bytes);
                    try {
                        InputStream z = new java.util.zip.InflaterInputStream(element, inflater, 1 << 16);
                        byte[] buf = new byte[1 << 16];
                        while (z.read(buf) >= 0) { /* inflating is the check */ }
                        if (!inflater.finished()) throw new java.io.EOFException("the zlib stream does not end");
                    } catch (IOException e) {
                        throw BadInput.at(shown, pos, "damaged compressed data in the element starting here (" + e.getMessage()
                                + "): the file's bytes are not the ones it was written with; download it again");
                    } finally {
                        inflater.end();
                    }
                    left = element.left;
                }
                in.skipNBytes(left);
                pos = end;
            }
        } catch (java.io.EOFException e) {
            throw BadInput.in(shown, "truncated MAT-file (" + e.getMessage() + ")");
        }
    }

    /** At most n bytes of a stream (one element's data); left is what was not read. */
    private static final class Bounded extends InputStream {
        private final InputStream in;
        long left;

        Bounded(InputStream in, long n) {
            this.in = in;
            this.left = n;
        }

        @Override
        public int read() throws IOException {
            if (left == 0) return -1;
            int b = in.read();
            if (b >= 0) left--;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) return -1;
            int r = in.read(b, off, (int) Math.min(len, left));
            if (r > 0) left -= r;
            return r;
        }
    }

    /**
     * The sample count, from the array headers and y (MFL skips X without inflating it): shapes and every label are
     * checked here, before anything is written.
     */
    private static int peekCount(Path file, Configuration conf) throws IOException {
        Map<String, Mat5Reader.EntryHeader> headers = new HashMap<>();
        String shown = Redaction.uri(file.toString());
        try (MatFile mat = read(file, conf, h -> {
            headers.put(h.getName(), h);
            return h.getName().equals("y");
        })) {
            int n = check(shown, headers.get("X"), headers.get("y"));
            Matrix y = mat.getMatrix("y");
            for (int i = 0; i < n; i++) label(y, i, shown);
            return n;
        }
    }

    /** Sample i's label: y(i + 1) is 1..10, 10 meaning the digit 0. */
    private static int label(Matrix y, int i, String shown) {
        double v = y.getDouble(i);
        if (v != Math.rint(v) || v < 1 || v > 10) {
            throw BadInput.in(shown, "y(" + (i + 1) + ") is " + v + ", expected a label 1..10 (10 is the digit 0)");
        }
        return (int) v % 10;
    }

    /** Checks the shapes of X and y; returns N. */
    private static int check(String shown, Mat5Reader.EntryHeader x, Mat5Reader.EntryHeader y) {
        if (x == null || y == null) throw BadInput.in(shown, "expected the variables X and y, found " + (x == null ? "no X" : "no y"));
        int[] d = x.getDimensions();
        if (x.getType() != MatlabType.UInt8 || d.length != 4 || d[0] != SIDE || d[1] != SIDE || d[2] != 3) {
            throw BadInput.in(shown, "variable X is " + x.getType() + " " + Arrays.toString(d)
                    + ", expected uint8 [32, 32, 3, N]");
        }
        if (y.getNumElements() != d[3] || y.isComplex()) {
            throw BadInput.in(shown, "variable y holds " + y.getNumElements() + " labels for " + d[3] + " images");
        }
        return d[3];
    }

    /** Reads the file's X and y (only those the filter accepts); MFL's errors become ones naming the file and offset. */
    private static MatFile read(Path file, Configuration conf, Mat5Reader.EntryFilter filter) throws IOException {
        String shown = Redaction.uri(file.toString());
        Source src = Sources.wrapInputStream(new BufferedInputStream(HadoopFs.open(file, conf), 1 << 16));
        try (src) {
            return Mat5.newReader(src).setEntryFilter(h -> (h.getName().equals("X") || h.getName().equals("y"))
                    && filter.isAccepted(h)).readMat();
        } catch (IOException | RuntimeException e) {
            if (e instanceof io.tiebreak.jobs.errors.UserError) throw e;
            throw BadInput.at(shown, src.getPosition(), "not a readable MATLAB v5 MAT-file (" + e.getMessage() + ");"
                    + " SVHN publishes v5 files, v7.3 (HDF5) is not supported");
        }
    }

    record SvhnPart(String split, String file) implements SourcePart {
        @Override public String describe() { return Redaction.uri(file); }

        @Override
        public SampleIterator open(Configuration conf, Consumer<SkippedSample> skipped) throws IOException {
            Map<String, Mat5Reader.EntryHeader> headers = new HashMap<>();
            MatFile mat = read(new Path(file), conf, h -> {
                headers.put(h.getName(), h);
                return true;
            });
            int n = check(describe(), headers.get("X"), headers.get("y"));
            Matrix x = mat.getMatrix("X"), y = mat.getMatrix("y");
            return new SampleIterator() {
                int i;

                @Override
                protected Sample readNext() {
                    if (i == n) return null;
                    int label = label(y, i, describe());
                    byte[] px = new byte[PIXELS];
                    int base = i * PIXELS; // X(h, w, c, i) sits at h + 32 w + 1024 c + 3072 i
                    for (int c = 0; c < 3; c++) {
                        for (int w = 0; w < SIDE; w++) {
                            for (int h = 0; h < SIDE; h++) px[c * PLANE + h * SIDE + w] = x.getByte(base + c * PLANE + w * SIDE + h);
                        }
                    }
                    return new Sample(i++, label, px);
                }

                @Override public void close() throws IOException { mat.close(); }
            };
        }
    }
}
