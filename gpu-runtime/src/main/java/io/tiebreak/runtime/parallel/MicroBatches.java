package io.tiebreak.runtime.parallel;

import io.tiebreak.runtime.tensor.Tensor;

/**
 * The micro-batches of one training step that one device holds, as tensors (inputs, activations or their
 * gradients: one per micro-batch, samples first), with their {@link Share} of the step's batch. Layers map them to
 * the next layer's micro-batches of the same share.
 */
public final class MicroBatches {
    private final Share share;
    private final Tensor[] tensors;

    public MicroBatches(Share share, Tensor[] tensors) {
        if (tensors.length != share.count()) {
            throw new IllegalArgumentException("expected " + share.count() + " micro-batches, got " + tensors.length);
        }
        for (int i = 0; i < tensors.length; i++) {
            int samples = share.size(share.first() + i);
            if (tensors[i].rank() == 0 || tensors[i].dim(0) != samples) {
                throw new IllegalArgumentException("micro-batch " + (share.first() + i) + " holds " + samples
                        + " samples, got " + tensors[i]);
            }
        }
        this.share = share;
        this.tensors = tensors.clone();
    }

    /** A whole batch on one device, as one micro-batch. */
    public static MicroBatches whole(Tensor batch) {
        return new MicroBatches(Share.whole(batch.dim(0)), new Tensor[] {batch});
    }

    public Share share() { return share; }

    /** How many micro-batches this device holds (possibly none in an epoch's last, short batch). */
    public int count() { return tensors.length; }

    /** This device's i-th micro-batch (micro-batch share().first() + i of the step). */
    public Tensor get(int i) { return tensors[i]; }

    /** Other tensors for the same micro-batches (a layer's outputs). */
    public MicroBatches with(Tensor[] others) { return new MicroBatches(share, others); }

    /** The whole batch in one micro-batch on one device (see {@link Share#whole()}). */
    public boolean whole() { return share.whole(); }

    /** The tensor of a whole batch. */
    public Tensor single() {
        if (!whole()) throw new IllegalStateException("not a whole batch on one device: " + share);
        return tensors[0];
    }
}
