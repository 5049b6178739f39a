package io.tiebreak.jobs.ingest;

import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.fs.Redaction;
import io.tiebreak.runtime.data.IdxReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * MNIST, Fashion-MNIST, KMNIST and EMNIST: a folder of IDX files, gzipped or not, named as published
 * ({@code train-images-idx3-ubyte.gz}, {@code t10k-labels-idx1-ubyte}, {@code emnist-balanced-test-images-idx3-ubyte.gz},
 * ...). The sample index is the item's position in its file. EMNIST images are stored transposed and are turned
 * upright here, as torchvision does; its classes come from the published mapping file.
 *
 * <p>For networks built for larger color inputs (VGG needs 32x32) the images can be stored resized and with the
 * gray channel repeated ({@link Layout}): exactly the bytes torchvision's {@code Resize(s)} (Pillow's bilinear
 * filter) and {@code Grayscale(3)} give, so a run on the stored dataset sees what the study's loaders would.
 */
final class IdxSource implements DatasetSource {
    private static final List<String> FASHION = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot");
    private static final List<String> EMNIST_SPLITS = List.of("balanced", "byclass", "bymerge", "digits", "letters", "mnist");

    /**
     * How samples are stored: size 0 as published, else resized to size x size (shorter side to size, then the
     * center, as torchvision's Resize + CenterCrop); channels 3 repeats the gray plane, 0 or 1 keeps one.
     */
    record Layout(int size, int channels) implements java.io.Serializable {
        static final Layout PUBLISHED = new Layout(0, 0);

        int side(int published) { return size == 0 ? published : size; }

        int storedChannels() { return channels == 3 ? 3 : 1; }

        /** A published h x w gray image as stored. */
        byte[] apply(byte[] gray, int h, int w) {
            if (size == 0 && storedChannels() == 1) return gray;
            if (size == 0 || (size == h && size == w)) {
                byte[] out = new byte[3 * gray.length];
                for (int c = 0; c < 3; c++) System.arraycopy(gray, 0, out, c * gray.length, gray.length);
                return out;
            }
            byte[] rgb = ImageDecoder.resizeCrop(new ImageDecoder.Pixels(gray, h, w, 1, w, new int[] {0, 0, 0}), size, size);
            return storedChannels() == 3 ? rgb : java.util.Arrays.copyOf(rgb, size * size);
        }
    }

    private final Dataset dataset;
    private final String input;
    private final String prefix;
    private final Layout layout;
    private final List<String> splits;

    IdxSource(Dataset dataset, String input, String emnistSplit, Layout layout, List<String> splits) {
        this.dataset = dataset;
        this.input = input;
        this.layout = layout;
        this.splits = splits;
        if (dataset == Dataset.EMNIST && !EMNIST_SPLITS.contains(emnistSplit)) {
            throw new IllegalArgumentException("--emnist-split must be one of " + EMNIST_SPLITS + ", got '" + emnistSplit + "'");
        }
        this.prefix = dataset == Dataset.EMNIST ? "emnist-" + emnistSplit + "-" : "";
    }

    @Override
    public SourcePlan plan(Configuration conf, int parallelism) throws IOException {
        Path dir = HadoopFs.qualify(HadoopFs.path(input), conf);
        String shownDir = Redaction.uri(dir.toString());
        if (!HadoopFs.status(dir, conf).isDirectory()) {
            throw BadInput.in(shownDir, "expected a folder holding the " + dataset.id() + " IDX files");
        }
        Pattern name = Pattern.compile("^" + Pattern.quote(prefix) + "(train|t10k|test)-(images|labels)[-.]idx([13])-ubyte(\\.gz)?$");
        Map<String, Path> found = new TreeMap<>(); // "train/images" -> file
        for (FileStatus f : HadoopFs.children(dir, conf)) {
            Matcher m = name.matcher(f.getPath().getName());
            if (!m.matches() || !f.isFile()) continue;
            String key = (m.group(1).equals("train") ? "train" : "test") + "/" + m.group(2);
            Path previous = found.put(key, f.getPath());
            if (previous != null) {
                throw BadInput.in(shownDir, "both " + previous.getName() + " and " + f.getPath().getName()
                        + " hold the " + key + " of the split; keep one");
            }
        }
        List<SourcePlan.SplitPlan> plans = new ArrayList<>();
        int height = 0, width = 0;
        Path sized = null; // the images file whose size the others must have
        List<String> classes = classes(dir, conf);
        // The file list first: everything missing, said at once.
        List<String> missing = new ArrayList<>();
        Set<String> lacking = new TreeSet<>();
        for (String split : splits) {
            for (String kind : List.of("images-idx3", "labels-idx1")) {
                if (!found.containsKey(split + "/" + kind.substring(0, kind.indexOf('-')))) {
                    missing.add(prefix + (split.equals("train") ? "train" : "t10k") + "-" + kind + "-ubyte[.gz]");
                    lacking.add(split);
                }
            }
        }
        if (!missing.isEmpty()) {
            throw BadInput.in(shownDir, String.join(", ", missing) + (missing.size() == 1 ? " is" : " are") + " missing; "
                    + dataset.id() + " publishes the images and labels of train and t10k (test)"
                    + (splits.size() > 1 && lacking.size() == 1 ? "; --splits " + (lacking.contains("train") ? "test" : "train")
                    + " ingests the other split alone" : ""));
        }
        for (String split : splits) {
            Path images = found.get(split + "/images"), labels = found.get(split + "/labels");
            String shownImages = Redaction.uri(images.toString()), shownLabels = Redaction.uri(labels.toString());
            int[] imageDims = checkWhole(images, conf, IdxReader.IMAGES, 0);
            int[] labelDims = checkWhole(labels, conf, IdxReader.LABELS, classes.size());
            if (imageDims[0] == 0) throw BadInput.at(shownImages, 4, "the header declares 0 images");
            if (imageDims[0] != labelDims[0]) {
                throw BadInput.in(shownLabels, "holds " + labelDims[0] + " labels but " + images.getName() + " holds "
                        + imageDims[0] + " images");
            }
            // EMNIST's items are stored transposed: height and width swap when they are turned upright.
            int h = dataset == Dataset.EMNIST ? imageDims[2] : imageDims[1], w = dataset == Dataset.EMNIST ? imageDims[1] : imageDims[2];
            if (sized != null && (h != height || w != width)) {
                throw BadInput.in(shownImages, "holds " + h + "x" + w + " images, " + Redaction.uri(sized.toString()) + " "
                        + height + "x" + width + ": the splits of a dataset have one image size");
            }
            height = h;
            width = w;
            sized = images;
            plans.add(new SourcePlan.SplitPlan(split, imageDims[0], true, List.of(new IdxPart(split, images.toString(),
                    labels.toString(), classes.size(), dataset == Dataset.EMNIST, layout))));
        }
        return new SourcePlan(dataset.id(), shownDir, layout.storedChannels(), layout.side(height), layout.side(width),
                classes, plans, Map.of());
    }

    /**
     * The dimensions of an IDX file whose header declares rank of them, after reading it through once: its data ends
     * where the header says, a gzipped file's CRC and length are right, and (classes > 0) every label is below
     * classes. Done on the driver before anything is written (the tasks read the files again to store them).
     */
    private static int[] checkWhole(Path file, Configuration conf, int rank, int classes) throws IOException {
        try (IdxReader r = IdxReader.open(HadoopFs.open(file, conf), Redaction.uri(file.toString()), rank)) {
            if (classes > 0) r.readLabels(new int[r.count()], 0, r.count(), classes);
            else r.skipToEnd();
            return r.dimensions();
        }
    }

    /** Class names as each dataset publishes them. */
    private List<String> classes(Path dir, Configuration conf) throws IOException {
        switch (dataset) {
            case FASHION_MNIST:
                return FASHION;
            case KMNIST: {
                // kmnist_classmap.csv: "index,codepoint,char"; optional, the digits 0-9 otherwise.
                Path map = new Path(dir, "kmnist_classmap.csv");
                if (!HadoopFs.exists(map, conf)) return IdxReader.numberedClasses(10);
                List<String> names = new ArrayList<>();
                List<String> lines = lines(map, conf);
                for (int i = 1; i < lines.size(); i++) {
                    String[] f = lines.get(i).split(",");
                    if (f.length != 3 || !f[0].trim().equals(Integer.toString(i - 1))) {
                        throw BadInput.in(Redaction.uri(map.toString()), "line " + (i + 1) + " is '" + lines.get(i)
                                + "', expected '" + (i - 1) + ",<codepoint>,<char>'");
                    }
                    names.add(f[2].trim());
                }
                return names;
            }
            case EMNIST: {
                // emnist-<split>-mapping.txt: "<label> <ascii code>[ <ascii code>]" per line.
                Path map = new Path(dir, prefix + "mapping.txt");
                String shown = Redaction.uri(map.toString());
                if (!HadoopFs.exists(map, conf)) {
                    throw BadInput.in(shown, "missing: EMNIST's class names come from its published mapping file");
                }
                TreeMap<Integer, String> byLabel = new TreeMap<>();
                List<String> lines = lines(map, conf);
                for (int i = 0; i < lines.size(); i++) {
                    String[] f = lines.get(i).trim().split("\\s+");
                    try {
                        int label = Integer.parseInt(f[0]);
                        StringBuilder sb = new StringBuilder();
                        for (int k = 1; k < f.length; k++) sb.appendCodePoint(Integer.parseInt(f[k]));
                        if (f.length < 2 || label < 0 || label > 255) throw new NumberFormatException();
                        byLabel.put(label, sb.toString());
                    } catch (NumberFormatException e) {
                        throw BadInput.in(shown, "line " + (i + 1) + " is '" + lines.get(i) + "', expected '<label> <ascii code>...'");
                    }
                }
                if (byLabel.isEmpty()) throw BadInput.in(shown, "holds no class");
                List<String> names = new ArrayList<>();
                // EMNIST letters starts at label 1; label 0 is then named N/A, as torchvision does.
                for (int l = 0; l <= byLabel.lastKey(); l++) names.add(byLabel.getOrDefault(l, "N/A"));
                return names;
            }
            default:
                return IdxReader.numberedClasses(10);
        }
    }

    private static List<String> lines(Path p, Configuration conf) throws IOException {
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(HadoopFs.open(p, conf), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) if (!l.isBlank()) out.add(l);
        }
        return out;
    }

    /** One split: an images file and its labels file, read item by item. */
    record IdxPart(String split, String images, String labels, int classes, boolean transpose, Layout layout)
            implements SourcePart {
        @Override
        public String describe() { return Redaction.uri(images) + " + " + Redaction.uri(labels); }

        @Override
        public SampleIterator open(Configuration conf, Consumer<SkippedSample> skipped) throws IOException {
            IdxReader img = IdxReader.open(HadoopFs.open(new Path(images), conf), Redaction.uri(images), IdxReader.IMAGES);
            IdxReader lab;
            try {
                lab = IdxReader.open(HadoopFs.open(new Path(labels), conf), Redaction.uri(labels), IdxReader.LABELS);
            } catch (IOException | RuntimeException e) {
                img.close();
                throw e;
            }
            int[] d = img.dimensions();
            return new SampleIterator() {
                final int[] label = new int[1];
                long index;

                @Override
                protected Sample readNext() throws IOException {
                    if (img.remaining() == 0) return null;
                    byte[] px = new byte[img.itemBytes()];
                    img.readItems(px, 0, 1);
                    lab.readLabels(label, 0, 1, classes);
                    // Turned upright, EMNIST's items are d[2] high and d[1] wide.
                    return new Sample(index++, label[0], transpose ? layout.apply(transposed(px, d[1], d[2]), d[2], d[1])
                            : layout.apply(px, d[1], d[2]));
                }

                @Override
                public void close() throws IOException {
                    try { img.close(); } finally { lab.close(); }
                }
            };
        }

        private static byte[] transposed(byte[] px, int rows, int cols) {
            byte[] t = new byte[px.length];
            for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = px[r * cols + c];
            return t;
        }
    }
}
