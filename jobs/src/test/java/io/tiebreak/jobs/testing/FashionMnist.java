package io.tiebreak.jobs.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tiebreak.jobs.fs.ReplaceableOutput.IfExists;
import io.tiebreak.jobs.ingest.Dataset;
import io.tiebreak.jobs.ingest.IngestJob;
import io.tiebreak.jobs.ingest.IngestOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real Fashion-MNIST (Debian's dataset-fashion-mnist package), ingested once per test JVM into a data root
 * that sweeps read as {@code dataset: fashion-mnist}. Tests that need it are skipped, saying why, without the package.
 */
public final class FashionMnist {
    private FashionMnist() {}

    public static final Path DEBIAN = Path.of("/usr/share/datasets/fashion-mnist");

    private static Path root;

    /** The data root holding fashion-mnist/ (ingested on first use). */
    public static synchronized Path dataRoot() {
        assumeTrue(Files.exists(DEBIAN.resolve("train-images-idx3-ubyte.gz")),
                "needs the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)");
        if (root == null) {
            try {
                Path dir = Files.createTempDirectory("tiebreak-data-");
                IngestJob.run(LocalSpark.session(), IngestOptions.of(Dataset.FASHION_MNIST, DEBIAN.toString(),
                        dir.resolve("fashion-mnist").toString(), IfExists.REFUSE, 128L << 20));
                root = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }
}
