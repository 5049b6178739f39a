package io.tiebreak.runtime.data;

import io.tiebreak.runtime.random.Rng;
import java.util.List;

/** A split held whole in memory: pixels[i * C*H*W ...] and labels[i]. Shared read-only between runs. */
public final class InMemoryImages implements ImageData {
    private final int channels, height, width;
    private final List<String> classNames;
    private final byte[] pixels;
    private final int[] labels;

    public InMemoryImages(int channels, int height, int width, List<String> classNames, byte[] pixels, int[] labels) {
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classNames = List.copyOf(classNames);
        this.pixels = pixels;
        this.labels = labels;
        long per = (long) channels * height * width;
        if (per <= 0 || (long) labels.length * per != pixels.length) {
            throw new IllegalArgumentException("pixels hold " + pixels.length + " bytes, expected " + labels.length
                    + " samples x " + channels + "x" + height + "x" + width);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classNames.size()) {
                throw new IllegalArgumentException("label " + labels[i] + " of sample " + i + " is outside [0, "
                        + classNames.size() + ")");
            }
        }
    }

    @Override public int size() { return labels.length; }
    @Override public int channels() { return channels; }
    @Override public int height() { return height; }
    @Override public int width() { return width; }
    @Override public List<String> classNames() { return classNames; }

    public int label(int i) { return labels[i]; }

    /** The first n samples (or all when n >= size), sharing nothing mutable. */
    public InMemoryImages head(int n) {
        int k = Math.min(n, size()), per = pixelsPerSample();
        return new InMemoryImages(channels, height, width, classNames, java.util.Arrays.copyOf(pixels, k * per),
                java.util.Arrays.copyOf(labels, k));
    }

    @Override
    public EpochReader epoch(Rng rng, boolean shuffle) {
        int[] order = shuffle ? rng.permutation(size()) : null;
        int per = pixelsPerSample();
        return new EpochReader() {
            int pos;

            @Override
            public int next(byte[] dst, int[] lab, int max) {
                int n = Math.min(max, size() - pos);
                for (int i = 0; i < n; i++) {
                    int s = order == null ? pos + i : order[pos + i];
                    System.arraycopy(pixels, s * per, dst, i * per, per);
                    lab[i] = labels[s];
                }
                pos += n;
                return n;
            }
        };
    }
}
