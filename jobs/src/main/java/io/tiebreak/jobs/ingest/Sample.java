package io.tiebreak.jobs.ingest;

import java.io.Serializable;

/**
 * One decoded sample as a source yields it: its stable index within the split, its label, and C x H x W pixel bytes
 * (channel-major, the layout of {@link io.tiebreak.runtime.data.ImageData}).
 */
public record Sample(long index, int label, byte[] pixels) implements Serializable {}
