package io.tiebreak.runtime.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A directory of MNIST-family IDX files as published (train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally .gz), e.g. Debian's dataset-fashion-mnist.
 */
public final class MnistFamily {
    private MnistFamily() {}

    /** Where Debian's dataset-fashion-mnist package puts the real Fashion-MNIST. */
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    public static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Both splits of a directory, checked to hold images of one size. */
    public record Splits(InMemoryImages train, InMemoryImages test) {}

    /** The train and test splits; images of different sizes are an error naming both images files. */
    public static Splits loadSplits(Path dir) throws IOException {
        InMemoryImages train = load(dir, true), test = load(dir, false);
        if (train.height() != test.height() || train.width() != test.width()) {
            throw new IdxReader.IdxFormatException(find(dir, "t10k-images-idx3-ubyte") + " holds " + test.height() + "x"
                    + test.width() + " images, " + find(dir, "train-images-idx3-ubyte") + " " + train.height() + "x"
                    + train.width() + ": the two splits of a dataset must have one image size");
        }
        return new Splits(train, test);
    }

    /** The train or test split ("train" or "t10k" file prefix). */
    public static InMemoryImages load(Path dir, boolean train) throws IOException {
        String prefix = train ? "train" : "t10k";
        Path images = find(dir, prefix + "-images-idx3-ubyte"), labels = find(dir, prefix + "-labels-idx1-ubyte");
        boolean fashion = dir.toString().toLowerCase(java.util.Locale.ROOT).contains("fashion");
        return IdxReader.loadImages(images, labels, fashion ? FASHION_CLASSES : IdxReader.numberedClasses(10));
    }

    private static Path find(Path dir, String name) throws IOException {
        for (String candidate : List.of(name, name + ".gz")) {
            Path p = dir.resolve(candidate);
            if (Files.isRegularFile(p)) return p;
        }
        throw new java.io.FileNotFoundException(dir + ": no " + name + " or " + name + ".gz (an MNIST-family IDX directory"
                + " is expected; Debian's dataset-fashion-mnist installs one at " + DEBIAN_FASHION_MNIST + ")");
    }
}
