package io.tiebreak.jobs.ingest;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** The datasets {@code tiebreak ingest} reads, each from the format it is published in. */
public enum Dataset {
    MNIST("mnist"), FASHION_MNIST("fashion-mnist"), KMNIST("kmnist"), EMNIST("emnist"),
    CIFAR10("cifar10"), CIFAR100("cifar100"), SVHN("svhn"), IMAGENET("imagenet");

    private final String id;

    Dataset(String id) { this.id = id; }

    /** The name used on the command line and in manifests. */
    public String id() { return id; }

    public static Dataset parse(String s) {
        for (Dataset d : values()) if (d.id.equalsIgnoreCase(s)) return d;
        throw new IllegalArgumentException("unknown dataset '" + s + "', expected one of "
                + Arrays.stream(values()).map(Dataset::id).collect(Collectors.joining(", ")));
    }

    /** MNIST, Fashion-MNIST, KMNIST, EMNIST: 28x28 gray images in IDX files. */
    public boolean isMnistFamily() {
        return this == MNIST || this == FASHION_MNIST || this == KMNIST || this == EMNIST;
    }

    /** The splits of the published dataset (ImageNet: the folders an ILSVRC tree has). */
    public List<String> publishedSplits() {
        return switch (this) {
            case SVHN -> List.of("train", "test", "extra");
            case IMAGENET -> List.of("train", "val");
            default -> List.of("train", "test");
        };
    }

    /** The reader of this dataset's published format. */
    DatasetSource source(IngestOptions o) {
        return switch (this) {
            case MNIST, FASHION_MNIST, KMNIST, EMNIST -> new IdxSource(this, o.input(), o.emnistSplit(),
                    new IdxSource.Layout(o.imageSize(), o.channels()), o.requiredSplits());
            case CIFAR10, CIFAR100 -> new CifarSource(this == CIFAR100, o.input(), "coarse".equals(o.cifar100Labels()),
                    o.requiredSplits(), o.allowSubset());
            case SVHN -> new SvhnSource(o.input(), o.requiredSplits(), o.allowSubset());
            case IMAGENET -> new ImageNetSource(o.input(), new ImageNetSource.Layout(o.imageSize(), o.resizeTo()),
                    o.failOnCorrupt(), o.shardBytes(), o.valLabels(), o.devkitMeta(), o.splits());
        };
    }
}
