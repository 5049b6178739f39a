package io.tiebreak.jobs.ingest;

import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.fs.Redaction;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * CIFAR-10 and CIFAR-100, binary version: the published {@code .tar.gz} or a folder of its extracted files. A record
 * is the label byte(s) then 3072 pixel bytes, already R, G and B planes of 32x32 row-major. CIFAR-10: data_batch_1..5
 * (train, in that order) and test_batch, classes in batches.meta.txt. CIFAR-100: train.bin and test.bin, records
 * carry a coarse then a fine label, classes in coarse_label_names.txt / fine_label_names.txt. The sample index is the
 * record's position in its split's files.
 *
 * <p>Before anything is written, the plan checks the input against the published dataset: every file of the
 * requested splits is there, non-empty, a whole number of records, and holds the published number of records (unless
 * subsets are allowed), and an archive's gzip stream is read to its end, so its CRC and length are checked.
 */
final class CifarSource implements DatasetSource {
    static final int PIXELS = 3 * 32 * 32;
    /** Records per published file: each CIFAR-10 batch, CIFAR-100's train.bin and test.bin. */
    private static final long CIFAR10_BATCH_RECORDS = 10_000, CIFAR100_TRAIN_RECORDS = 50_000, CIFAR100_TEST_RECORDS = 10_000;

    private final boolean cifar100;
    private final String input;
    private final boolean coarse;
    private final List<String> splits;
    private final boolean allowSubset;

    CifarSource(boolean cifar100, String input, boolean coarse, List<String> splits, boolean allowSubset) {
        this.cifar100 = cifar100;
        this.input = input;
        this.coarse = coarse;
        this.splits = splits;
        this.allowSubset = allowSubset;
    }

    private int recordBytes() { return (cifar100 ? 2 : 1) + PIXELS; }
    private String namesFile() { return cifar100 ? (coarse ? "coarse_label_names.txt" : "fine_label_names.txt") : "batches.meta.txt"; }
    private String name() { return cifar100 ? "CIFAR-100" : "CIFAR-10"; }

    /** The published files of a split, in sample order. */
    private List<String> files(String split) {
        if (cifar100) return List.of(split + ".bin");
        if (split.equals("test")) return List.of("test_batch.bin");
        List<String> out = new ArrayList<>();
        for (int b = 1; b <= 5; b++) out.add("data_batch_" + b + ".bin");
        return out;
    }

    private long publishedRecords(String split) {
        return !cifar100 ? CIFAR10_BATCH_RECORDS : split.equals("train") ? CIFAR100_TRAIN_RECORDS : CIFAR100_TEST_RECORDS;
    }

    private String publishedList() {
        return cifar100 ? "train.bin (train) and test.bin (test)"
                : "data_batch_1.bin .. data_batch_5.bin (train) and test_batch.bin (test)";
    }

    /** A file of the input: where it is (a path, or an entry of the archive), as shown in messages, and its size. */
    private record Found(String path, String shown, long bytes) {}

    @Override
    public SourcePlan plan(Configuration conf, int parallelism) throws IOException {
        Path in = HadoopFs.qualify(HadoopFs.path(input), conf);
        String shown = Redaction.uri(in.toString());
        FileStatus st = HadoopFs.status(in, conf);
        boolean archive = !st.isDirectory();
        Map<String, Found> found = new LinkedHashMap<>(); // file name -> where it is
        String names;
        String where; // where a missing file was looked for
        if (archive) {
            names = listArchive(in, conf, shown, found);
            where = shown + " (an archive)";
        } else {
            Path dir = findBatchFolder(in, conf);
            where = Redaction.uri(dir.toString());
            names = null;
            for (FileStatus f : HadoopFs.children(dir, conf)) {
                String n = f.getPath().getName();
                if (!f.isFile()) continue;
                if (n.equals(namesFile())) names = new String(HadoopFs.readAll(f.getPath(), conf, 1 << 20), StandardCharsets.UTF_8);
                found.put(n, new Found(f.getPath().toString(), Redaction.uri(f.getPath().toString()), f.getLen()));
            }
            if (names == null) throw BadInput.in(where + "/" + namesFile(), "missing: " + name() + " names its classes there");
        }
        List<String> classes = parseNames(names, shown + (archive ? ":" : "/") + namesFile());
        // The file list first: everything missing, said at once.
        List<String> missing = new ArrayList<>();
        for (String split : splits) for (String file : files(split)) if (!found.containsKey(file)) missing.add(file);
        if (!missing.isEmpty()) {
            // When only one split lacks files, the other can be ingested alone.
            String lacking = splitOf(missing.get(0));
            boolean oneSplit = splits.size() > 1 && missing.stream().allMatch(f -> splitOf(f).equals(lacking));
            throw BadInput.in(where, String.join(", ", missing) + (missing.size() == 1 ? " is" : " are") + " missing; "
                    + name() + " publishes " + publishedList()
                    + (oneSplit ? "; --splits " + other(lacking) + " ingests the other split alone" : ""));
        }
        List<SourcePlan.SplitPlan> plans = new ArrayList<>();
        for (String split : splits) {
            long base = 0;
            List<SourcePart> parts = new ArrayList<>();
            Map<String, Long> archiveBases = new LinkedHashMap<>();
            for (String file : files(split)) {
                Found f = found.get(file);
                long records = records(f, split);
                if (archive) archiveBases.put(f.path(), base);
                else parts.add(new CifarFilePart(split, f.path(), base, recordBytes(), classes.size(), coarse));
                base += records;
            }
            if (archive) parts.add(new CifarArchivePart(split, in.toString(), archiveBases, recordBytes(), classes.size(), coarse));
            plans.add(new SourcePlan.SplitPlan(split, base, true, parts));
        }
        return new SourcePlan(cifar100 ? "cifar100" : "cifar10", shown, 3, 32, 32, classes, plans, Map.of());
    }

    private static String other(String split) { return split.equals("train") ? "test" : "train"; }

    private String splitOf(String file) { return files("test").contains(file) ? "test" : "train"; }

    /** The folder holding the batch files: the input itself, or the one folder the archive extracts to. */
    private Path findBatchFolder(Path dir, Configuration conf) throws IOException {
        Path sub = new Path(dir, cifar100 ? "cifar-100-binary" : "cifar-10-batches-bin");
        return HadoopFs.exists(new Path(dir, namesFile()), conf) || !HadoopFs.exists(sub, conf) ? dir : sub;
    }

    /** The records a published file holds, checked: non-empty, whole records, the published count (or fewer, if allowed). */
    private long records(Found f, String split) {
        long size = f.bytes();
        if (size == 0) throw BadInput.in(f.shown(), "empty (0 bytes), expected " + publishedRecords(split) + " records of " + recordBytes() + " bytes");
        if (size % recordBytes() != 0) {
            throw BadInput.at(f.shown(), size - size % recordBytes(), "truncated: " + size + " bytes is not a whole number of "
                    + recordBytes() + "-byte records (the last record, starting here, has " + (size % recordBytes()) + " bytes)");
        }
        long n = size / recordBytes(), published = publishedRecords(split);
        if (n > published || (n < published && !allowSubset)) {
            throw BadInput.in(f.shown(), "holds " + n + " records (" + size + " bytes), " + name() + " publishes " + published
                    + " (" + published * recordBytes() + " bytes)" + (n < published
                    ? ": truncated? (--allow-subset accepts a hand-made subset of the published files)" : ""));
        }
        return n;
    }

    /**
     * Lists the archive on the driver, reading it to its end: files with their sizes, the class names, and the gzip
     * stream's CRC and length checked (a flipped byte anywhere in it fails here, before anything is written).
     */
    private String listArchive(Path archive, Configuration conf, String shown, Map<String, Found> found) throws IOException {
        String names = null;
        try (OpenedTar opened = openTar(archive, conf)) {
            TarArchiveInputStream tar = opened.tar();
            TarArchiveEntry e;
            while ((e = nextEntry(tar, shown)) != null) {
                if (!e.isFile()) continue;
                String base = e.getName().substring(e.getName().lastIndexOf('/') + 1);
                if (base.equals(namesFile())) names = new String(readEntry(tar, shown, e), StandardCharsets.UTF_8);
                boolean published = base.equals(namesFile()) || files("train").contains(base) || files("test").contains(base);
                if (found.put(base, new Found(e.getName(), shown + ":" + e.getName(), e.getSize())) != null && published) {
                    throw BadInput.in(shown, "holds " + base + " twice; keep one");
                }
            }
            opened.readToEnd(shown);
        }
        if (names == null) throw BadInput.in(shown, "the archive holds no " + namesFile() + " (the class names)");
        return names;
    }

    private static byte[] readEntry(TarArchiveInputStream tar, String shown, TarArchiveEntry e) throws IOException {
        try {
            return tar.readAllBytes();
        } catch (IOException x) {
            throw damaged(shown + ":" + e.getName(), tar, x);
        }
    }

    /**
     * A tar stream, and under it the decompressed stream when the file is gzipped: what is left of that after the
     * tar's end-of-archive blocks is read to the end, where GZIPInputStream checks the CRC-32 and length.
     */
    record OpenedTar(TarArchiveInputStream tar, InputStream gunzipped) implements java.io.Closeable {
        void readToEnd(String shown) throws IOException {
            if (gunzipped == null) return;
            try {
                byte[] buf = new byte[1 << 16];
                while (gunzipped.read(buf) >= 0) { /* padding up to the tar record size, then the gzip trailer */ }
            } catch (IOException e) {
                throw damaged(shown, tar, e);
            }
        }

        @Override public void close() throws IOException { tar.close(); }
    }

    static OpenedTar openTar(Path archive, Configuration conf) throws IOException {
        InputStream raw = new BufferedInputStream(HadoopFs.open(archive, conf), 1 << 16);
        raw.mark(2);
        boolean gz = raw.read() == 0x1f && raw.read() == 0x8b;
        raw.reset();
        InputStream gunzipped = gz ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : null;
        return new OpenedTar(new TarArchiveInputStream(gz ? gunzipped : raw), gunzipped);
    }

    static TarArchiveEntry nextEntry(TarArchiveInputStream tar, String shown) throws IOException {
        try {
            return tar.getNextEntry();
        } catch (IOException e) {
            throw damaged(shown, tar, e);
        }
    }

    /** A read of the archive that failed: cut short, gzip data that fails its checks, or no tar at all. */
    static RuntimeException damaged(String shown, TarArchiveInputStream tar, IOException e) {
        String at = shown + " (as tar)";
        if (e instanceof EOFException) return BadInput.at(at, tar.getBytesRead(), "truncated archive (" + e.getMessage() + ")");
        if (e instanceof java.util.zip.ZipException) {
            return BadInput.at(at, tar.getBytesRead(), "damaged gzip data (" + e.getMessage() + "): the archive's bytes"
                    + " are not the ones it was written with; download it again");
        }
        return BadInput.at(at, tar.getBytesRead(), "not a readable tar archive (" + e.getMessage() + ")");
    }

    private static List<String> parseNames(String text, String file) {
        List<String> names = new ArrayList<>();
        for (String l : text.split("\r?\n")) if (!l.isBlank()) names.add(l.trim());
        if (names.isEmpty()) throw BadInput.in(file, "lists no class names");
        return names;
    }

    /** Reads records from a stream; errors name the file and the record's offset. */
    static final class RecordReader {
        private final InputStream in;
        private final String shown;
        private final int recordBytes, classes;
        private final long records;
        private final boolean coarse;
        private final byte[] record;
        private long done;

        RecordReader(InputStream in, String shown, long records, int recordBytes, int classes, boolean coarse) {
            this.in = in;
            this.shown = shown;
            this.records = records;
            this.recordBytes = recordBytes;
            this.classes = classes;
            this.coarse = coarse;
            this.record = new byte[recordBytes];
        }

        /** The next sample with index base + position, or null after the last record. */
        Sample next(long base) throws IOException {
            if (done == records) return null;
            long at = done * recordBytes;
            int n = in.readNBytes(record, 0, recordBytes);
            if (n < recordBytes) {
                throw BadInput.at(shown, at + n, "truncated: record " + done + " ends after " + n + " of " + recordBytes
                        + " bytes (expected " + records * recordBytes + " bytes in all)");
            }
            // CIFAR-100 records: coarse label, fine label; CIFAR-10: the label.
            int label = record[recordBytes == PIXELS + 2 && !coarse ? 1 : 0] & 0xff;
            if (label >= classes) {
                throw BadInput.at(shown, at + (recordBytes == PIXELS + 2 && !coarse ? 1 : 0), "label " + label
                        + " of record " + done + " is outside [0, " + classes + ")");
            }
            return new Sample(base + done++, label, Arrays.copyOfRange(record, recordBytes - PIXELS, recordBytes));
        }
    }

    /** One extracted batch file. */
    record CifarFilePart(String split, String file, long base, int recordBytes, int classes, boolean coarse)
            implements SourcePart {
        @Override public String describe() { return Redaction.uri(file); }

        @Override
        public SampleIterator open(Configuration conf, Consumer<SkippedSample> skipped) throws IOException {
            Path p = new Path(file);
            long size = HadoopFs.status(p, conf).getLen();
            InputStream in = new BufferedInputStream(HadoopFs.open(p, conf), 1 << 16);
            RecordReader records = new RecordReader(in, describe(), size / recordBytes, recordBytes, classes, coarse);
            return new SampleIterator() {
                @Override protected Sample readNext() throws IOException { return records.next(base); }
                @Override public void close() throws IOException { in.close(); }
            };
        }
    }

    /** The batch entries of one split inside the archive, read in one pass over it. */
    record CifarArchivePart(String split, String archive, Map<String, Long> bases, int recordBytes, int classes,
                            boolean coarse) implements SourcePart {
        @Override public String describe() { return Redaction.uri(archive); }

        @Override
        public SampleIterator open(Configuration conf, Consumer<SkippedSample> skipped) throws IOException {
            OpenedTar opened = openTar(new Path(archive), conf);
            TarArchiveInputStream tar = opened.tar();
            String shown = describe();
            return new SampleIterator() {
                RecordReader current;
                long base;

                @Override
                protected Sample readNext() throws IOException {
                    try {
                        while (true) {
                            Sample s = current == null ? null : current.next(base);
                            if (s != null) return s;
                            TarArchiveEntry e = nextEntry(tar, shown);
                            if (e == null) {
                                opened.readToEnd(shown); // the gzip CRC, again: the bytes are read again here
                                return null;
                            }
                            Long b = bases.get(e.getName());
                            if (b == null || !e.isFile()) continue;
                            base = b;
                            current = new RecordReader(tar, shown + ":" + e.getName(), e.getSize() / recordBytes,
                                    recordBytes, classes, coarse);
                        }
                    } catch (EOFException | java.util.zip.ZipException e) {
                        throw damaged(shown, tar, e);
                    }
                }

                @Override public void close() throws IOException { opened.close(); }
            };
        }
    }
}
