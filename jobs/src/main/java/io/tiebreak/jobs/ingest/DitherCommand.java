package io.tiebreak.jobs.ingest;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tiebreak dither}: an MNIST-family folder with seeded dither, as IDX files for {@code tiebreak ingest}. */
@Command(name = "dither", mixinStandardHelpOptions = true,
        description = {"Writes an MNIST-family dataset (e.g. Fashion-MNIST) with seeded dither as IDX files named as"
                + " published, for tiebreak ingest: a textured data set where pooling windows almost never tie"
                + " exactly (docs/zones.md). Pixel v becomes round(v (255 - A) / 255) + u, u uniform in 0..A,"
                + " drawn per image from the seed. Local folders."})
public final class DitherCommand implements Callable<Integer> {
    @Option(names = {"-i", "--input"}, required = true, description = "Folder of the published IDX files")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, description = "Output folder (its IDX files must not exist)")
    Path output;

    @Option(names = "--amplitude", defaultValue = "32", description = "A, the noise's range 0..A (default ${DEFAULT-VALUE})")
    int amplitude;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the noise (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        Dither.Written w = Dither.write(input, output, amplitude, seed);
        System.out.printf("%d images dithered (amplitude %d, seed %d) into %s%n", w.images(), amplitude, seed, output);
        return 0;
    }
}
