package io.tiebreak.runtime.data;

/** Training augmentation: random crop with zero padding (0 = none) and random horizontal flip. */
public record Augmentation(int cropPadding, boolean horizontalFlip) {
    public Augmentation {
        if (cropPadding < 0) throw new IllegalArgumentException("crop padding must be >= 0");
    }

    public static final Augmentation NONE = new Augmentation(0, false);

    /** The study's CIFAR augmentation: random crop 32 with padding 4, horizontal flip. */
    public static final Augmentation CIFAR = new Augmentation(4, true);

    public boolean isNone() { return cropPadding == 0 && !horizontalFlip; }
}
