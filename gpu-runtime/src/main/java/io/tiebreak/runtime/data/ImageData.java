package io.tiebreak.runtime.data;

import io.tiebreak.runtime.random.Rng;
import java.util.List;

/**
 * One split of an image dataset as training sees it: 8-bit pixels, C x H x W per sample (channel-major, like
 * NCHW), and a label per sample. Implementations hold everything in memory ({@link InMemoryImages}) or stream shards
 * (ImageNet, in the jobs module); training only asks for an epoch's samples in order.
 */
public interface ImageData {
    int size();
    int channels();
    int height();
    int width();
    /** Class names, index = label. */
    List<String> classNames();

    default int classes() { return classNames().size(); }

    default int pixelsPerSample() { return channels() * height() * width(); }

    /**
     * The samples of one epoch: a permutation drawn from rng when shuffle is true (the only draws it makes), else
     * index order. The reader must be closed.
     */
    EpochReader epoch(Rng rng, boolean shuffle);

    /** Reads an epoch sequentially, a batch at a time. */
    interface EpochReader extends AutoCloseable {
        /**
         * Copies up to max samples into pixels (pixelsPerSample bytes each, from offset 0) and labels; returns how
         * many, 0 at the end of the epoch.
         */
        int next(byte[] pixels, int[] labels, int max);

        @Override
        default void close() {}
    }
}
