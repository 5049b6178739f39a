package io.tiebreak.jobs.ingest;

import io.tiebreak.jobs.fs.ReplaceableOutput.IfExists;
import io.tiebreak.jobs.spark.SparkSessions;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tiebreak ingest}: a published dataset to sharded Parquet plus a manifest. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = {"Reads a dataset in its published format and writes sharded Parquet plus _dataset.json.",
            "Paths may be local, hdfs:// or s3a:// (S3 credentials come from Hadoop configuration or credential"
                    + " providers, e.g. --conf spark.hadoop.fs.s3a.* on spark-submit, never from flags)."})
public final class IngestCommand implements Callable<Integer> {
    @Option(names = "--dataset", required = true,
            description = "mnist, fashion-mnist, kmnist, emnist, cifar10, cifar100, svhn or imagenet")
    String dataset;

    @Option(names = {"-i", "--input"}, required = true,
            description = "The dataset as published: folder of IDX/.mat files, CIFAR .tar.gz or folder, ImageNet root")
    String input;

    @Option(names = {"-o", "--output"}, required = true, description = "Output folder")
    String output;

    @Option(names = "--replace", description = "Replace an existing output atomically (default: refuse)")
    boolean replace;

    @Option(names = "--shard-size", defaultValue = "128MiB", description = "Target pixel bytes per shard (default ${DEFAULT-VALUE})")
    String shardSize;

    @Option(names = "--image-size", description = {"ImageNet: side of the stored square (center crop).",
            "MNIST family: resize to this square as torchvision's Resize does (e.g. 32, for VGG)"})
    int imageSize;

    @Option(names = "--channels", description = "MNIST family: 3 repeats the gray channel (torchvision Grayscale(3))")
    int channels;

    @Option(names = "--resize", description = "ImageNet: shorter side before the crop (default: --image-size)")
    int resize;

    @Option(names = "--fail-on-corrupt", description = "ImageNet: fail on an undecodable image instead of skipping it")
    boolean failOnCorrupt;

    @Option(names = "--emnist-split", description = "EMNIST: balanced (default), byclass, bymerge, digits, letters or mnist")
    String emnistSplit;

    @Option(names = "--cifar100-labels", description = "CIFAR-100: fine (default) or coarse")
    String cifar100Labels;

    @Option(names = "--val-labels", description = "ImageNet: ground truth for a flat val/ folder")
    String valLabels;

    @Option(names = "--devkit-meta", description = "ImageNet: the devkit's meta.mat, with the devkit's ground truth")
    String devkitMeta;

    @Override
    public Integer call() throws Exception {
        IngestOptions options = new IngestOptions(Dataset.parse(dataset), input, output,
                replace ? IfExists.REPLACE : IfExists.REFUSE, parseBytes(shardSize), imageSize, resize, failOnCorrupt,
                emnistSplit, cifar100Labels, valLabels, devkitMeta, channels);
        Manifest m = IngestJob.run(SparkSessions.forJob("tiebreak ingest " + options.dataset().id(), java.util.Map.of()), options);
        m.splits().forEach((name, s) -> System.out.printf("%s: %d samples in %d shards%s%n", name, s.count(),
                s.shards().size(), s.skipped().isEmpty() ? "" : ", " + s.skipped().size() + " undecodable images skipped"));
        return 0;
    }

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]?)(i?b)?", Pattern.CASE_INSENSITIVE);

    /** "4096", "64k", "128MiB", "1g": bytes (binary units). */
    static long parseBytes(String s) {
        Matcher m = SIZE.matcher(s.trim());
        if (!m.matches()) throw new IllegalArgumentException("--shard-size '" + s + "' is not a size such as 128MiB or 1g");
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        long v = Long.parseLong(m.group(1));
        if (v > (Long.MAX_VALUE >> shift)) throw new IllegalArgumentException("--shard-size '" + s + "' is too large");
        return v << shift;
    }
}
