package io.tiebreak.jobs.testing;

import io.tiebreak.jobs.grid.DatasetCatalog;
import io.tiebreak.jobs.grid.DatasetInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A catalog of datasets with the shapes of the real ones, for planning tests that need no data on disk. */
public final class FixedCatalog implements DatasetCatalog {
    public static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    public static final DatasetInfo FASHION = new DatasetInfo("fashion-mnist", 1, 28, 28, DIGITS,
            Map.of("train", 60000L, "test", 10000L), List.of(0.286), List.of(0.353));
    public static final DatasetInfo MNIST = new DatasetInfo("mnist", 1, 28, 28, DIGITS,
            Map.of("train", 60000L, "test", 10000L), List.of(0.13), List.of(0.31));
    public static final DatasetInfo CIFAR10 = new DatasetInfo("cifar10", 3, 32, 32, DIGITS,
            Map.of("train", 50000L, "test", 10000L), List.of(0.49, 0.48, 0.45), List.of(0.25, 0.24, 0.26));
    public static final DatasetInfo SVHN = new DatasetInfo("svhn", 3, 32, 32, DIGITS,
            Map.of("train", 73257L, "test", 26032L, "extra", 531131L), List.of(0.44, 0.44, 0.47),
            List.of(0.2, 0.2, 0.2));

    /** Fashion-MNIST ingested resized to 32x32 with three channels (tiebreak ingest --image-size 32 --channels 3). */
    public static final DatasetInfo FASHION_32X3 = new DatasetInfo("fashion-mnist-32x3", 3, 32, 32, DIGITS,
            Map.of("train", 60000L, "test", 10000L), List.of(0.286, 0.286, 0.286), List.of(0.338, 0.338, 0.338),
            "fashion-mnist");

    public static final DatasetInfo IMAGENET = new DatasetInfo("imagenet", 3, 224, 224,
            java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "n" + i).toList(),
            Map.of("train", 1281167L, "val", 50000L), List.of(0.48, 0.45, 0.40), List.of(0.23, 0.22, 0.22));

    private final List<DatasetInfo> infos;

    public FixedCatalog(DatasetInfo... infos) { this.infos = List.of(infos); }

    public static FixedCatalog standard() { return new FixedCatalog(FASHION, MNIST, CIFAR10, SVHN, IMAGENET); }

    @Override
    public Optional<DatasetInfo> find(String name) {
        return infos.stream().filter(i -> i.name().equals(name)).findFirst();
    }

    @Override
    public List<String> names() {
        List<String> out = new ArrayList<>();
        for (DatasetInfo i : infos) out.add(i.name());
        return out;
    }

    @Override public String location() { return "test-data"; }
}
