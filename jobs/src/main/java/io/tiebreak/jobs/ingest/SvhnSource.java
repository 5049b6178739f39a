package io.tiebreak.jobs.ingest;

import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.fs.Redaction;
import io.tiebreak.runtime.data.IdxReader;
import java.io.BufferedInputStream;
import java.io.IOException;
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
 * 1.6 GB for extra).
 */
final class SvhnSource implements DatasetSource {
    private static final List<String> SPLITS = List.of("train", "test", "extra");
    private static final int SIDE = 32, PLANE = SIDE * SIDE, PIXELS = 3 * PLANE;

    private final String input;

    SvhnSource(String input) { this.input = input; }

    @Override
    public SourcePlan plan(Configuration conf, int parallelism) throws IOException {
        Path dir = HadoopFs.qualify(HadoopFs.path(input), conf);
        String shownDir = Redaction.uri(dir.toString());
        if (!HadoopFs.status(dir, conf).isDirectory()) {
            throw BadInput.in(shownDir, "expected a folder holding train_32x32.mat, test_32x32.mat and/or extra_32x32.mat");
        }
        List<SourcePlan.SplitPlan> splits = new ArrayList<>();
        for (String split : SPLITS) {
            Path file = new Path(dir, split + "_32x32.mat");
            if (!HadoopFs.exists(file, conf)) continue;
            int n = peekCount(file, conf);
            splits.add(new SourcePlan.SplitPlan(split, n, true, List.of(new SvhnPart(split, file.toString()))));
        }
        if (splits.isEmpty()) throw BadInput.in(shownDir, "no train_32x32.mat, test_32x32.mat or extra_32x32.mat found");
        return new SourcePlan("svhn", shownDir, 3, SIDE, SIDE, IdxReader.numberedClasses(10), splits, Map.of());
    }

    /** The sample count from the array headers only (MFL skips the data without inflating it). */
    private static int peekCount(Path file, Configuration conf) throws IOException {
        Map<String, Mat5Reader.EntryHeader> headers = new HashMap<>();
        read(file, conf, h -> {
            headers.put(h.getName(), h);
            return false;
        });
        return check(Redaction.uri(file.toString()), headers.get("X"), headers.get("y"));
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
                    double v = y.getDouble(i);
                    if (v != Math.rint(v) || v < 1 || v > 10) {
                        throw BadInput.in(describe(), "y(" + (i + 1) + ") is " + v + ", expected a label 1..10 (10 is the digit 0)");
                    }
                    byte[] px = new byte[PIXELS];
                    int base = i * PIXELS; // X(h, w, c, i) sits at h + 32 w + 1024 c + 3072 i
                    for (int c = 0; c < 3; c++) {
                        for (int w = 0; w < SIDE; w++) {
                            for (int h = 0; h < SIDE; h++) px[c * PLANE + h * SIDE + w] = x.getByte(base + c * PLANE + w * SIDE + h);
                        }
                    }
                    return new Sample(i++, (int) v % 10, px);
                }

                @Override public void close() throws IOException { mat.close(); }
            };
        }
    }
}
