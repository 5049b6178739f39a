package io.tiebreak.jobs.ingest;

import io.tiebreak.runtime.data.IdxReader;
import io.tiebreak.runtime.random.Rng;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;

/**
 * An MNIST-family folder (Fashion-MNIST) with seeded dither, written back as IDX files named as published so that
 * {@code tiebreak ingest} reads it like the original: a textured data set where exact ties are rare (docs/zones.md).
 *
 * <p>Pixel v of image i of split s becomes round(v (255 - A) / 255) + u, u uniform in {0..A} drawn from
 * {@code Rng.of(seed, "dither/<s>/<i>")}: the images keep their content, no pixel saturates (clamping would make flat
 * regions again), and the flat black background becomes noise, so two positions of a pooling window almost never
 * see identical input patches. Each image has its own stream: the output depends on the seed and the amplitude only.
 * Labels are copied unchanged.
 */
public final class Dither {
    private Dither() {}

    /** The published file names of each split, without the optional .gz. */
    private static final List<String> SPLITS = List.of("train", "t10k");

    /** What a run wrote, for the command's output. */
    public record Written(List<Path> files, long images) {}

    /** Dithers every split found in input into output (created; its IDX files must not exist yet). */
    public static Written write(Path input, Path output, int amplitude, long seed) throws IOException {
        if (amplitude < 1 || amplitude > 255) {
            throw new IllegalArgumentException("--amplitude must be 1 to 255, got " + amplitude);
        }
        if (!Files.isDirectory(input)) throw BadInput.in(input.toString(), "expected a folder of MNIST-family IDX files");
        List<Path> written = new ArrayList<>();
        long images = 0;
        for (String split : SPLITS) {
            Path imageFile = find(input, split + "-images-idx3-ubyte"), labelFile = find(input, split + "-labels-idx1-ubyte");
            if (imageFile == null && labelFile == null) continue;
            if (imageFile == null || labelFile == null) {
                throw BadInput.in(input.toString(), "found " + (imageFile == null ? labelFile : imageFile).getFileName()
                        + " but not its " + (imageFile == null ? "images" : "labels") + " file");
            }
            Files.createDirectories(output);
            Path imagesOut = fresh(output.resolve(split + "-images-idx3-ubyte.gz"));
            Path labelsOut = fresh(output.resolve(labelFile.getFileName().toString()));
            int[] dims;
            byte[] pixels;
            try (IdxReader r = IdxReader.open(Files.newInputStream(imageFile), imageFile.toString())) {
                dims = r.dimensions();
                if (dims.length != 3) {
                    throw BadInput.at(imageFile.toString(), 3, "expected 3 dimensions (count, height, width), found "
                            + java.util.Arrays.toString(dims));
                }
                pixels = new byte[Math.multiplyExact(r.count(), r.itemBytes())];
                r.readItems(pixels, 0, r.count());
            }
            int perImage = dims[1] * dims[2];
            for (int i = 0; i < dims[0]; i++) {
                apply(pixels, i * perImage, perImage, amplitude, Rng.of(seed, "dither/" + split + "/" + i));
            }
            try (OutputStream out = new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(imagesOut), 1 << 16))) {
                out.write(idxHeader(dims));
                out.write(pixels);
            }
            Files.copy(labelFile, labelsOut);
            written.add(imagesOut);
            written.add(labelsOut);
            images += dims[0];
        }
        if (written.isEmpty()) {
            throw BadInput.in(input.toString(), "no IDX files found; expected e.g. train-images-idx3-ubyte.gz and"
                    + " train-labels-idx1-ubyte.gz");
        }
        Path note = output.resolve("DITHER.txt");
        Files.writeString(note, String.format(Locale.ROOT, "%s dithered by tiebreak dither --amplitude %d --seed %d:"
                + " pixel v of image i of split s is round(v * (255 - %d) / 255) + u, u uniform in 0..%d from"
                + " Rng.of(seed, \"dither/<s>/<i>\"). Labels unchanged.%n", input, amplitude, seed, amplitude, amplitude),
                StandardCharsets.UTF_8);
        return new Written(written, images);
    }

    /** Dithers n pixels from off in place. */
    static void apply(byte[] pixels, int off, int n, int amplitude, Rng rng) {
        for (int i = off; i < off + n; i++) {
            int v = pixels[i] & 0xff;
            pixels[i] = (byte) ((v * (255 - amplitude) + 127) / 255 + rng.nextInt(amplitude + 1));
        }
    }

    /** The IDX header of unsigned bytes with these dimensions. */
    static byte[] idxHeader(int[] dims) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length);
        b.put((byte) 0).put((byte) 0).put((byte) IdxReader.UNSIGNED_BYTE).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        return b.array();
    }

    private static Path find(Path dir, String name) {
        for (String candidate : List.of(name, name + ".gz")) {
            if (Files.isRegularFile(dir.resolve(candidate))) return dir.resolve(candidate);
        }
        return null;
    }

    private static Path fresh(Path p) {
        if (Files.exists(p)) throw BadInput.in(p.toString(), "already exists; choose another output folder");
        return p;
    }
}
