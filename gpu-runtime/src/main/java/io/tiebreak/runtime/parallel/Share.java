package io.tiebreak.runtime.parallel;

/**
 * Which micro-batches of one training step a device holds (docs/design.md, "Data parallelism"). The step's batch of
 * {@code samples} is cut into micro-batches of {@code microBatch} consecutive samples (the last may be shorter);
 * device {@code rank} of {@code replicas} holds micro-batches [rank * block, (rank + 1) * block), those that exist.
 * Everything here is a function of the batch and the settings: where a micro-batch is computed never changes what is
 * computed.
 *
 * @param block micro-batches per device in a full batch (the last batch of an epoch may leave devices idle)
 */
public record Share(int samples, int microBatch, int block, int replicas, int rank) {
    public Share {
        if (samples < 1 || microBatch < 1 || block < 1 || replicas < 1 || rank < 0 || rank >= replicas) {
            throw new IllegalArgumentException("bad micro-batch share: " + samples + " samples, micro-batch "
                    + microBatch + ", " + block + " per device, device " + rank + " of " + replicas);
        }
    }

    /** A whole batch as one micro-batch on one device: training as it was before micro-batches. */
    public static Share whole(int samples) {
        return new Share(samples, samples, 1, 1, 0);
    }

    /**
     * Device rank's share of a batch of {@code samples}, in a run whose full batches of {@code batchSize} are cut into
     * micro-batches of {@code microBatch} and spread over {@code replicas} devices.
     */
    public static Share of(int samples, int batchSize, int microBatch, int replicas, int rank) {
        return new Share(samples, microBatch, perDevice(batchSize, microBatch, replicas), replicas, rank);
    }

    /**
     * Micro-batches each device holds in a full batch.
     *
     * @throws IllegalArgumentException unless 1 <= microBatch <= batchSize and replicas divides the micro-batches
     */
    public static int perDevice(int batchSize, int microBatch, int replicas) {
        if (microBatch < 1 || microBatch > batchSize) {
            throw new IllegalArgumentException("micro-batch " + microBatch + " must be between 1 and the batch size "
                    + batchSize);
        }
        if (replicas < 1) throw new IllegalArgumentException("devices per run must be at least 1, got " + replicas);
        int k = micro(batchSize, microBatch);
        if (k % replicas != 0) {
            throw new IllegalArgumentException("a batch of " + batchSize + " cut into micro-batches of " + microBatch
                    + " makes " + k + " micro-batches, which " + replicas + " devices cannot share equally: choose"
                    + " devices per run dividing " + k + ", or a micro-batch size giving a multiple of " + replicas);
        }
        return k / replicas;
    }

    private static int micro(int samples, int microBatch) { return (samples + microBatch - 1) / microBatch; }

    /** Micro-batches in the step's batch (K). */
    public int microBatches() { return micro(samples, microBatch); }

    /** Index of this device's first micro-batch (K when it holds none). */
    public int first() { return Math.min(rank * block, microBatches()); }

    /** How many micro-batches this device holds. */
    public int count() { return Math.max(0, Math.min(block, microBatches() - rank * block)); }

    /** First sample of micro-batch i in the batch. */
    public int start(int i) { return i * microBatch; }

    /** Samples in micro-batch i. */
    public int size(int i) { return Math.min(microBatch, samples - i * microBatch); }

    /** The device holding every micro-batch in [lo, lo + n), or -1 when they are spread over several devices. */
    public int owner(int lo, int n) {
        int a = lo / block, b = (lo + n - 1) / block;
        return a == b ? a : -1;
    }

    /** The whole batch in one micro-batch on one device: nothing to add across micro-batches. */
    public boolean whole() { return replicas == 1 && microBatches() == 1; }
}
