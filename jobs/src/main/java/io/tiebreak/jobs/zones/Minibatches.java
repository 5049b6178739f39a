package io.tiebreak.jobs.zones;

import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.BatchAssembler;
import io.tiebreak.runtime.data.ImageData;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.random.Rng;

/**
 * The minibatches a zones configuration measures, in a fixed order: minibatch i holds samples
 * {@code order[i*B] .. order[(i+1)*B - 1]} of the training split (its first train_subset samples when set), where
 * {@code order} is the permutation the sweep run with the same seed trains its first epoch on
 * ({@code split.epoch(Rng.of(seed, "shuffle"), true)}, as the Trainer draws it). Batches are assembled as training
 * does (ToTensor, Normalize) without augmentation; only full batches count. Minibatch i is therefore the same
 * samples whichever task measures it and whatever range that task was given.
 */
final class Minibatches {
    private Minibatches() {}

    /** Told each minibatch of a range: its index, the assembled batch [B,C,H,W] and its labels. */
    interface Consumer {
        void accept(int index, float[] batch, int[] labels);
    }

    /** Number of full batches of size batch in the split. */
    static int count(ImageData split, int batch) { return split.size() / batch; }

    /** Assembles minibatches from (inclusive) to to (exclusive) and hands them to each, in order. */
    static void forRange(ImageData split, long seed, int batch, Normalization norm, int from, int to, Consumer each) {
        if (from < 0 || to > count(split, batch) || from > to) {
            throw new IllegalArgumentException("minibatches " + from + ".." + (to - 1) + " are outside the "
                    + count(split, batch) + " full batches of " + split.size() + " samples at batch " + batch);
        }
        int per = split.pixelsPerSample();
        BatchAssembler assembler = new BatchAssembler(split.channels(), split.height(), split.width(), norm,
                Augmentation.NONE);
        byte[] pixels = new byte[batch * per];
        int[] labels = new int[batch];
        float[] x = new float[batch * per];
        try (ImageData.EpochReader reader = split.epoch(Rng.of(seed, "shuffle"), true)) {
            for (int i = 0; i < to; i++) {
                int n = reader.next(pixels, labels, batch);
                if (n != batch) throw new IllegalStateException("the split ended at minibatch " + i + " of " + to);
                if (i < from) continue; // skipping costs a copy of the pixels, nothing next to a measurement
                assembler.assemble(pixels, batch, null, x);
                each.accept(i, x, labels);
            }
        }
    }
}
