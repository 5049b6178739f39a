package io.tiebreak.jobs.ingest;

import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.fs.Redaction;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.Char;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.Struct;
import us.hebi.matlab.mat.types.Sources;

/**
 * ImageNet (ILSVRC2012): {@code train/<wnid>/*.JPEG}, and {@code val/} either in class folders or flat with a
 * ground-truth file (the devkit's {@code ILSVRC2012_validation_ground_truth.txt} with its {@code meta.mat}, Kaggle's
 * {@code LOC_val_solution.csv}, or lines "file wnid"). Classes are the wnids in sorted order; the sample index is the
 * image's position in its split's sorted relative paths. Image i goes to shard i mod S, so shards are class-balanced;
 * when there are enough shards to keep every task slot busy, each shard is one task and no decoded pixels are
 * shuffled between executors.
 */
final class ImageNetSource implements DatasetSource {
    /** The stored image: shorter side resized to resizeTo, then the central imageSize x imageSize. */
    record Layout(int imageSize, int resizeTo) implements Serializable {}

    /** Images larger than this are not read (no ImageNet JPEG comes close). */
    static final long MAX_IMAGE_BYTES = 64L << 20;

    private final String input;
    private final Layout layout;
    private final boolean failOnCorrupt;
    private final long shardBytes;
    private final String valLabels, devkitMeta;
    /** The splits asked for, each required; null: those the root holds. */
    private final List<String> splits;

    ImageNetSource(String input, Layout layout, boolean failOnCorrupt, long shardBytes, String valLabels, String devkitMeta,
                   List<String> splits) {
        this.splits = splits;
        this.input = input;
        this.layout = layout;
        this.failOnCorrupt = failOnCorrupt;
        this.shardBytes = shardBytes;
        this.valLabels = valLabels;
        this.devkitMeta = devkitMeta;
    }

    /** An image of a split: its path relative to the root ("train/n01440764/n01440764_10026.JPEG") and class. */
    private record Image(String path, String wnid) {}

    @Override
    public SourcePlan plan(Configuration conf, int parallelism) throws IOException {
        Path root = HadoopFs.qualify(HadoopFs.path(input), conf);
        String shownRoot = Redaction.uri(root.toString());
        if (!HadoopFs.status(root, conf).isDirectory()) throw BadInput.in(shownRoot, "expected the folder holding train/ and/or val/");
        Map<String, List<Image>> splits = new TreeMap<>(); // "train", "val"
        Path train = new Path(root, "train"), val = new Path(root, "val");
        for (Path p : List.of(train, val)) {
            if (this.splits != null && this.splits.contains(p.getName()) && !HadoopFs.exists(p, conf)) {
                throw BadInput.in(Redaction.uri(p.toString()), "missing (--splits asks for " + p.getName() + ")");
            }
        }
        boolean wantTrain = this.splits == null || this.splits.contains("train");
        boolean wantVal = this.splits == null || this.splits.contains("val");
        if (wantTrain && HadoopFs.exists(train, conf)) splits.put("train", classFolders(root, train, conf));
        if (valLabels != null && !HadoopFs.exists(val, conf)) throw BadInput.in(shownRoot, "--val-labels given, but there is no val/");
        Map<String, String> truth = valLabels == null ? null : groundTruth(conf);
        if (wantVal && HadoopFs.exists(val, conf)) {
            splits.put("val", truth == null ? classFolders(root, val, conf) : flat(root, val, truth, conf));
        }
        if (splits.isEmpty()) throw BadInput.in(shownRoot, "holds neither train/ nor val/");

        // Classes are train/'s folders whenever there is a train/ (val ingested alone gets the same labels).
        TreeSet<String> wnids = new TreeSet<>();
        if (HadoopFs.exists(train, conf)) {
            for (FileStatus f : HadoopFs.children(train, conf)) if (f.isDirectory() && !hidden(f.getPath().getName())) wnids.add(f.getPath().getName());
        } else {
            for (Image i : splits.get("val")) wnids.add(i.wnid());
        }
        List<String> classes = List.copyOf(wnids);
        Map<String, Integer> label = new HashMap<>();
        for (int i = 0; i < classes.size(); i++) label.put(classes.get(i), i);

        long perSample = 3L * layout.imageSize() * layout.imageSize();
        List<SourcePlan.SplitPlan> plans = new ArrayList<>();
        for (var e : splits.entrySet()) {
            List<Image> images = e.getValue();
            images.sort((a, b) -> a.path().compareTo(b.path()));
            if (images.isEmpty()) throw BadInput.in(shownRoot + "/" + e.getKey(), "holds no images");
            int shards = IngestJob.shardCount(images.size(), perSample, shardBytes);
            // Enough shards to fill the cluster: one task each, no shuffle. Fewer (a small split): cut the work finer
            // and let the job shuffle the (small) decoded result into the same shards.
            int groups = shards >= parallelism ? shards : Math.min(images.size(), 2 * parallelism);
            List<List<String>> paths = new ArrayList<>();
            List<List<Long>> indexes = new ArrayList<>();
            List<List<Integer>> labels = new ArrayList<>();
            for (int s = 0; s < groups; s++) {
                paths.add(new ArrayList<>());
                indexes.add(new ArrayList<>());
                labels.add(new ArrayList<>());
            }
            for (int i = 0; i < images.size(); i++) {
                Image img = images.get(i);
                Integer l = label.get(img.wnid());
                if (l == null) {
                    throw BadInput.in(shownRoot + "/" + img.path(), "class " + img.wnid() + " is not one of the "
                            + classes.size() + " classes of train/");
                }
                paths.get(i % groups).add(img.path());
                indexes.get(i % groups).add((long) i);
                labels.get(i % groups).add(l);
            }
            List<SourcePart> parts = new ArrayList<>();
            for (int s = 0; s < groups; s++) {
                parts.add(new ImagePart(e.getKey(), root.toString(), paths.get(s).toArray(String[]::new),
                        indexes.get(s).stream().mapToLong(Long::longValue).toArray(),
                        labels.get(s).stream().mapToInt(Integer::intValue).toArray(), layout, failOnCorrupt));
            }
            long[] perClass = new long[classes.size()];
            for (Image img : images) perClass[label.get(img.wnid())]++;
            plans.add(new SourcePlan.SplitPlan(e.getKey(), images.size(), true, parts, groups == shards,
                    Arrays.stream(perClass).boxed().toList()));
        }
        return new SourcePlan("imagenet", shownRoot, 3, layout.imageSize(), layout.imageSize(), classes, plans, Map.of());
    }

    private static boolean hidden(String name) { return name.startsWith(".") || name.startsWith("_"); }

    /** split/<wnid>/<file>: every file one level below a class folder; a class folder without a file is an error. */
    private static List<Image> classFolders(Path root, Path split, Configuration conf) throws IOException {
        for (FileStatus f : HadoopFs.children(split, conf)) {
            if (!f.isDirectory() || hidden(f.getPath().getName())) continue;
            boolean any = false;
            for (FileStatus g : HadoopFs.children(f.getPath(), conf)) any |= !hidden(g.getPath().getName());
            if (!any) {
                throw BadInput.in(Redaction.uri(f.getPath().toString()), "holds no image: every class folder of "
                        + split.getName() + "/ holds that class's images (remove the folder, or restore its images)");
            }
        }
        List<Image> out = new ArrayList<>();
        String rootPath = root.toUri().getPath(), splitPath = HadoopFs.qualify(split, conf).toUri().getPath();
        for (FileStatus f : HadoopFs.listFilesRecursively(split, conf)) {
            Path p = f.getPath();
            if (hidden(p.getName())) continue;
            Path classDir = p.getParent();
            if (hidden(classDir.getName())) continue;
            if (!classDir.getParent().toUri().getPath().equals(splitPath)) {
                throw BadInput.in(Redaction.uri(p.toString()), "expected images directly in " + split.getName()
                        + "/<wnid>/, found this file elsewhere");
            }
            out.add(new Image(p.toUri().getPath().substring(rootPath.length() + 1), classDir.getName()));
        }
        return out;
    }

    /** val/<file> with labels from the ground truth, by file name without extension. */
    private List<Image> flat(Path root, Path val, Map<String, String> truth, Configuration conf) throws IOException {
        List<Image> out = new ArrayList<>();
        for (FileStatus f : HadoopFs.children(val, conf)) {
            String name = f.getPath().getName();
            if (hidden(name)) continue;
            if (f.isDirectory()) throw BadInput.in(Redaction.uri(f.getPath().toString()), "a folder in val/, but --val-labels says val/ is flat");
            String key = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
            String wnid = truth.get(key);
            if (wnid == null) throw BadInput.in(Redaction.uri(valLabels), "gives no label for val/" + name);
            out.add(new Image("val/" + name, wnid));
        }
        return out;
    }

    /** Image name (no extension) to wnid, from whichever ground-truth format --val-labels is. */
    private Map<String, String> groundTruth(Configuration conf) throws IOException {
        String shown = Redaction.uri(valLabels);
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(HadoopFs.open(HadoopFs.path(valLabels), conf),
                StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) lines.add(l.strip());
        }
        Map<String, String> truth = new HashMap<>();
        if (!lines.isEmpty() && lines.get(0).startsWith("ImageId,PredictionString")) {
            // Kaggle: ImageId,PredictionString with "wnid x y x y" boxes; the first wnid is the class.
            for (int i = 1; i < lines.size(); i++) {
                if (lines.get(i).isEmpty()) continue;
                String[] f = lines.get(i).split(",", 2);
                if (f.length != 2 || !f[1].trim().startsWith("n")) {
                    throw BadInput.in(shown, "line " + (i + 1) + " is '" + lines.get(i) + "', expected 'ImageId,wnid ...'");
                }
                truth.put(f[0].trim(), f[1].trim().split("\\s+")[0]);
            }
        } else if (!lines.isEmpty() && lines.get(0).matches("\\d+")) {
            // The devkit: line i holds the ILSVRC2012_ID of ILSVRC2012_val_%08d (1-based); meta.mat maps ids to wnids.
            if (devkitMeta == null) throw BadInput.in(shown, "is the devkit's ground truth: pass its meta.mat with --devkit-meta");
            Map<Integer, String> wnidOf = devkitWnids(conf);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isEmpty()) continue;
                String wnid = lines.get(i).matches("\\d+") ? wnidOf.get(Integer.parseInt(lines.get(i))) : null;
                if (wnid == null) throw BadInput.in(shown, "line " + (i + 1) + " is '" + lines.get(i) + "', expected an ILSVRC2012_ID of meta.mat");
                truth.put(String.format("ILSVRC2012_val_%08d", i + 1), wnid);
            }
        } else {
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isEmpty()) continue;
                String[] f = lines.get(i).split("[\\s,]+");
                if (f.length != 2) throw BadInput.in(shown, "line " + (i + 1) + " is '" + lines.get(i) + "', expected '<image file> <wnid>'");
                truth.put(f[0].contains(".") ? f[0].substring(0, f[0].lastIndexOf('.')) : f[0], f[1]);
            }
        }
        if (truth.isEmpty()) throw BadInput.in(shown, "holds no labels");
        return truth;
    }

    /** meta.mat's synsets struct array: ILSVRC2012_ID -> WNID. */
    private Map<Integer, String> devkitWnids(Configuration conf) throws IOException {
        String shown = Redaction.uri(devkitMeta);
        byte[] bytes = HadoopFs.readAll(HadoopFs.path(devkitMeta), conf, 64L << 20);
        Map<Integer, String> out = new HashMap<>();
        try (MatFile mat = Mat5.newReader(Sources.wrap(bytes)).readMat()) {
            Struct synsets = mat.getStruct("synsets");
            for (int i = 0; i < synsets.getNumElements(); i++) {
                int id = (int) synsets.getMatrix("ILSVRC2012_ID", i).getDouble(0);
                Char wnid = synsets.getChar("WNID", i);
                out.put(id, wnid.getString().trim());
            }
        } catch (IOException | RuntimeException e) {
            throw BadInput.in(shown, "not the devkit's meta.mat (expected a struct array 'synsets' with fields"
                    + " ILSVRC2012_ID and WNID): " + e.getMessage());
        }
        return out;
    }

    /** The images of one shard, decoded in index order. */
    record ImagePart(String split, String root, String[] paths, long[] indexes, int[] labels, Layout layout,
                     boolean failOnCorrupt) implements SourcePart {
        @Override
        public String describe() {
            return Redaction.uri(root) + " (" + paths.length + " images of " + split + ")";
        }

        @Override
        public SampleIterator open(Configuration conf, Consumer<SkippedSample> skipped) {
            return new SampleIterator() {
                int i;

                @Override
                protected Sample readNext() throws IOException {
                    for (; i < paths.length; i++) {
                        Path p = new Path(root, paths[i]);
                        try {
                            byte[] file = HadoopFs.readAll(p, conf, MAX_IMAGE_BYTES);
                            byte[] px = ImageDecoder.decodeResizeCrop(file, layout.resizeTo(), layout.imageSize());
                            Sample s = new Sample(indexes[i], labels[i], px);
                            i++;
                            return s;
                        } catch (ImageDecoder.UndecodableImage e) {
                            if (failOnCorrupt) throw BadInput.in(Redaction.uri(p.toString()), e.getMessage());
                            skipped.accept(new SkippedSample(split, indexes[i], paths[i], e.getMessage()));
                        }
                    }
                    return null;
                }

                @Override public void close() {}
            };
        }
    }
}
