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
 */
final class CifarSource implements DatasetSource {
    static final int PIXELS = 3 * 32 * 32;
    private static final Pattern CIFAR10_BATCH = Pattern.compile("(data_batch_(\\d+)|test_batch)\\.bin");
    private static final Pattern CIFAR100_BATCH = Pattern.compile("(train|test)\\.bin");

    private final boolean cifar100;
    private final String input;
    private final boolean coarse;

    CifarSource(boolean cifar100, String input, boolean coarse) {
        this.cifar100 = cifar100;
        this.input = input;
        this.coarse = coarse;
    }

    private int recordBytes() { return (cifar100 ? 2 : 1) + PIXELS; }
    private String namesFile() { return cifar100 ? (coarse ? "coarse_label_names.txt" : "fine_label_names.txt") : "batches.meta.txt"; }

    /** A batch file found in the input: which split, its order within the split, and its record count. */
    private record Batch(String split, int order, String name, long records) {}

    @Override
    public SourcePlan plan(Configuration conf, int parallelism) throws IOException {
        Path in = HadoopFs.qualify(HadoopFs.path(input), conf);
        String shown = Redaction.uri(in.toString());
        FileStatus st = HadoopFs.status(in, conf);
        List<Batch> batches = new ArrayList<>();
        String names;
        boolean archive = !st.isDirectory();
        Map<String, String> entryPaths = new LinkedHashMap<>(); // batch name -> file path, or entry name in the archive
        if (archive) {
            names = listArchive(in, conf, shown, batches, entryPaths);
        } else {
            Path dir = findBatchFolder(in, conf);
            names = null;
            for (FileStatus f : HadoopFs.children(dir, conf)) {
                String n = f.getPath().getName();
                if (n.equals(namesFile())) names = new String(HadoopFs.readAll(f.getPath(), conf, 1 << 20), StandardCharsets.UTF_8);
                Batch b = batch(n, f.getLen(), Redaction.uri(f.getPath().toString()));
                if (b != null) {
                    batches.add(b);
                    entryPaths.put(n, f.getPath().toString());
                }
            }
            if (names == null) throw BadInput.in(Redaction.uri(dir.toString()), "no " + namesFile() + " (the class names)");
        }
        List<String> classes = parseNames(names, shown + (archive ? ":" : "/") + namesFile());
        if (batches.isEmpty()) {
            throw BadInput.in(shown, "no CIFAR-" + (cifar100 ? "100" : "10") + " batch files found (expected "
                    + (cifar100 ? "train.bin, test.bin" : "data_batch_1.bin .. data_batch_5.bin, test_batch.bin") + ")");
        }
        batches.sort((a, b) -> a.split().equals(b.split()) ? Integer.compare(a.order(), b.order()) : b.split().compareTo(a.split()));
        List<SourcePlan.SplitPlan> splits = new ArrayList<>();
        for (String split : List.of("train", "test")) {
            long base = 0;
            List<SourcePart> parts = new ArrayList<>();
            Map<String, Long> archiveBases = new LinkedHashMap<>();
            for (Batch b : batches) {
                if (!b.split().equals(split)) continue;
                if (archive) archiveBases.put(entryPaths.get(b.name()), base);
                else parts.add(new CifarFilePart(split, entryPaths.get(b.name()), base, recordBytes(), classes.size(), coarse));
                base += b.records();
            }
            if (archive && !archiveBases.isEmpty()) {
                parts.add(new CifarArchivePart(split, in.toString(), archiveBases, recordBytes(), classes.size(), coarse));
            }
            if (!parts.isEmpty()) splits.add(new SourcePlan.SplitPlan(split, base, true, parts));
        }
        return new SourcePlan(cifar100 ? "cifar100" : "cifar10", shown, 3, 32, 32, classes, splits, Map.of());
    }

    /** The folder holding the batch files: the input itself, or the one folder the archive extracts to. */
    private Path findBatchFolder(Path dir, Configuration conf) throws IOException {
        Path sub = new Path(dir, cifar100 ? "cifar-100-binary" : "cifar-10-batches-bin");
        return HadoopFs.exists(new Path(dir, namesFile()), conf) || !HadoopFs.exists(sub, conf) ? dir : sub;
    }

    private Batch batch(String fileName, long size, String shown) {
        Matcher m = (cifar100 ? CIFAR100_BATCH : CIFAR10_BATCH).matcher(fileName);
        if (!m.matches()) return null;
        if (size % recordBytes() != 0) {
            throw BadInput.at(shown, size - size % recordBytes(), "truncated: " + size + " bytes is not a whole number of "
                    + recordBytes() + "-byte records (the last record, starting here, has " + (size % recordBytes()) + " bytes)");
        }
        String split = m.group(1).startsWith("test") ? "test" : "train";
        int order = !cifar100 && m.group(2) != null ? Integer.parseInt(m.group(2)) : 0;
        return new Batch(split, order, fileName, size / recordBytes());
    }

    /** Lists the archive once on the driver: batch entries with their sizes, and the class names file. */
    private String listArchive(Path archive, Configuration conf, String shown, List<Batch> batches,
                               Map<String, String> entryPaths) throws IOException {
        String names = null;
        try (TarArchiveInputStream tar = openTar(archive, conf)) {
            TarArchiveEntry e;
            while ((e = nextEntry(tar, shown)) != null) {
                if (!e.isFile()) continue;
                String base = e.getName().substring(e.getName().lastIndexOf('/') + 1);
                if (base.equals(namesFile())) names = new String(tar.readAllBytes(), StandardCharsets.UTF_8);
                Batch b = batch(base, e.getSize(), shown + ":" + e.getName());
                if (b != null) {
                    batches.add(b);
                    entryPaths.put(base, e.getName());
                }
            }
        } catch (EOFException e) {
            throw BadInput.in(shown, "truncated archive (" + e.getMessage() + ")");
        }
        if (names == null) throw BadInput.in(shown, "the archive holds no " + namesFile() + " (the class names)");
        return names;
    }

    static TarArchiveInputStream openTar(Path archive, Configuration conf) throws IOException {
        InputStream raw = new BufferedInputStream(HadoopFs.open(archive, conf), 1 << 16);
        raw.mark(2);
        boolean gz = raw.read() == 0x1f && raw.read() == 0x8b;
        raw.reset();
        return new TarArchiveInputStream(gz ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw);
    }

    static TarArchiveEntry nextEntry(TarArchiveInputStream tar, String shown) throws IOException {
        try {
            return tar.getNextEntry();
        } catch (EOFException e) {
            throw BadInput.at(shown + " (as tar)", tar.getBytesRead(), "truncated archive (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw BadInput.at(shown + " (as tar)", tar.getBytesRead(), "not a readable tar archive (" + e.getMessage() + ")");
        }
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
            TarArchiveInputStream tar = openTar(new Path(archive), conf);
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
                            if (e == null) return null;
                            Long b = bases.get(e.getName());
                            if (b == null || !e.isFile()) continue;
                            base = b;
                            current = new RecordReader(tar, shown + ":" + e.getName(), e.getSize() / recordBytes,
                                    recordBytes, classes, coarse);
                        }
                    } catch (EOFException e) {
                        throw BadInput.at(shown + " (as tar)", tar.getBytesRead(), "truncated archive (" + e.getMessage() + ")");
                    }
                }

                @Override public void close() throws IOException { tar.close(); }
            };
        }
    }
}
