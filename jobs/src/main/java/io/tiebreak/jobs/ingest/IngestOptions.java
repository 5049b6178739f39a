package io.tiebreak.jobs.ingest;

import io.tiebreak.jobs.fs.ReplaceableOutput.IfExists;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything {@code tiebreak ingest} was asked to do.
 *
 * @param shardBytes     target size of one shard's pixel data (shards come out roughly equal, a bit smaller once
 *                       compressed)
 * @param imageSize      ImageNet: side of the square center crop; MNIST family: side the images are resized to
 *                       (torchvision Resize, Pillow's bilinear filter, e.g. 32 for VGG); 0: as published
 * @param resizeTo       ImageNet only: the shorter side is resized to this before the crop (>= imageSize)
 * @param failOnCorrupt  ImageNet only: fail on the first undecodable image instead of skipping and listing it
 * @param emnistSplit    EMNIST only: which of its splits (balanced, byclass, bymerge, digits, letters, mnist)
 * @param cifar100Labels CIFAR-100 only: "fine" (100 classes) or "coarse" (20)
 * @param valLabels      ImageNet only: ground truth for a flat val/ folder (devkit txt or LOC_val_solution.csv)
 * @param devkitMeta     ImageNet only: the devkit's meta.mat, mapping the devkit txt's ids to wnids
 * @param channels       MNIST family only: 3 repeats the gray channel three times (torchvision Grayscale(3)), for
 *                       networks built for color input; 0 or 1: as published
 * @param splits         the splits to ingest, each required whole; null: every split the dataset publishes (for
 *                       ImageNet, a tree the user assembles, the ones its root holds)
 * @param allowSubset    accept files holding fewer records than the published dataset's (hand-made subsets, test
 *                       fixtures): every file of the published list is still required, non-empty and whole
 */
public record IngestOptions(Dataset dataset, String input, String output, IfExists ifExists, long shardBytes,
                            int imageSize, int resizeTo, boolean failOnCorrupt, String emnistSplit,
                            String cifar100Labels, String valLabels, String devkitMeta, int channels,
                            List<String> splits, boolean allowSubset) {
    public IngestOptions {
        if (splits != null) {
            splits = List.copyOf(new java.util.LinkedHashSet<>(splits));
            for (String s : splits) {
                if (!dataset.publishedSplits().contains(s)) {
                    throw new IllegalArgumentException("--splits: " + dataset.id() + " has no split '" + s + "', only "
                            + String.join(", ", dataset.publishedSplits()));
                }
            }
            if (splits.isEmpty()) throw new IllegalArgumentException("--splits names no split");
        }
        if (shardBytes < 1024) throw new IllegalArgumentException("--shard-size must be at least 1 KiB, got " + shardBytes);
        if (imageSize < 0) throw new IllegalArgumentException("--image-size must be positive, got " + imageSize);
        if (resizeTo < 0) throw new IllegalArgumentException("--resize must be positive, got " + resizeTo);
        if (dataset == Dataset.IMAGENET) {
            if (imageSize == 0) throw new IllegalArgumentException("imagenet needs --image-size (e.g. 32, 64, 224)");
            if (resizeTo == 0) resizeTo = imageSize;
            if (resizeTo < imageSize) {
                throw new IllegalArgumentException("--resize " + resizeTo + " is smaller than --image-size " + imageSize);
            }
            if (devkitMeta != null && valLabels == null) {
                throw new IllegalArgumentException("--devkit-meta goes with --val-labels");
            }
            if (channels != 0) throw new IllegalArgumentException("--channels applies to the MNIST family only");
        } else if (resizeTo != 0 || failOnCorrupt || valLabels != null || devkitMeta != null) {
            throw new IllegalArgumentException("--resize, --fail-on-corrupt, --val-labels and --devkit-meta apply to"
                    + " imagenet only");
        } else if (!dataset.isMnistFamily() && (imageSize != 0 || channels != 0)) {
            throw new IllegalArgumentException("--image-size applies to imagenet and the MNIST family, --channels to"
                    + " the MNIST family; " + dataset.id() + " is stored as published");
        } else {
            if (channels != 0 && channels != 1 && channels != 3) {
                throw new IllegalArgumentException("--channels must be 1 or 3, got " + channels);
            }
        }
        if (dataset != Dataset.EMNIST && emnistSplit != null) throw new IllegalArgumentException("--emnist-split applies to emnist only");
        if (dataset == Dataset.EMNIST && emnistSplit == null) emnistSplit = "balanced";
        if (dataset != Dataset.CIFAR100 && cifar100Labels != null) {
            throw new IllegalArgumentException("--cifar100-labels applies to cifar100 only");
        }
        if (dataset == Dataset.CIFAR100 && cifar100Labels == null) cifar100Labels = "fine";
        if (cifar100Labels != null && !cifar100Labels.equals("fine") && !cifar100Labels.equals("coarse")) {
            throw new IllegalArgumentException("--cifar100-labels must be fine or coarse, got '" + cifar100Labels + "'");
        }
    }

    /** Options with the defaults for everything dataset-specific. */
    public static IngestOptions of(Dataset dataset, String input, String output, IfExists ifExists, long shardBytes) {
        return new IngestOptions(dataset, input, output, ifExists, shardBytes, 0, 0, false, null, null, null, null, 0);
    }

    /** Options with every published split required, at its published size. */
    public IngestOptions(Dataset dataset, String input, String output, IfExists ifExists, long shardBytes,
                         int imageSize, int resizeTo, boolean failOnCorrupt, String emnistSplit, String cifar100Labels,
                         String valLabels, String devkitMeta, int channels) {
        this(dataset, input, output, ifExists, shardBytes, imageSize, resizeTo, failOnCorrupt, emnistSplit,
                cifar100Labels, valLabels, devkitMeta, channels, null, false);
    }

    /** The same options ingesting only these splits. */
    public IngestOptions withSplits(String... names) {
        return new IngestOptions(dataset, input, output, ifExists, shardBytes, imageSize, resizeTo, failOnCorrupt,
                emnistSplit, cifar100Labels, valLabels, devkitMeta, channels, List.of(names), allowSubset);
    }

    /** The same options accepting files smaller than the published ones. */
    public IngestOptions allowingSubset() {
        return new IngestOptions(dataset, input, output, ifExists, shardBytes, imageSize, resizeTo, failOnCorrupt,
                emnistSplit, cifar100Labels, valLabels, devkitMeta, channels, splits, true);
    }

    /** The splits to ingest, each required: the ones named, or every split the dataset publishes. */
    public List<String> requiredSplits() {
        return splits != null ? splits : dataset.publishedSplits();
    }

    /** Options without --channels (as published). */
    public IngestOptions(Dataset dataset, String input, String output, IfExists ifExists, long shardBytes,
                         int imageSize, int resizeTo, boolean failOnCorrupt, String emnistSplit, String cifar100Labels,
                         String valLabels, String devkitMeta) {
        this(dataset, input, output, ifExists, shardBytes, imageSize, resizeTo, failOnCorrupt, emnistSplit,
                cifar100Labels, valLabels, devkitMeta, 0);
    }

    /** The options that shape the output, as recorded in the manifest. */
    public Map<String, String> recorded() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("shardBytes", Long.toString(shardBytes));
        if (dataset == Dataset.IMAGENET) {
            m.put("imageSize", Integer.toString(imageSize));
            m.put("resizeTo", Integer.toString(resizeTo));
            m.put("failOnCorrupt", Boolean.toString(failOnCorrupt));
        }
        if (dataset.isMnistFamily() && imageSize != 0) m.put("imageSize", Integer.toString(imageSize));
        if (channels != 0) m.put("channels", Integer.toString(channels));
        if (emnistSplit != null) m.put("emnistSplit", emnistSplit);
        if (cifar100Labels != null) m.put("cifar100Labels", cifar100Labels);
        if (splits != null) m.put("splits", String.join(",", splits));
        if (allowSubset) m.put("allowSubset", "true");
        return m;
    }
}
