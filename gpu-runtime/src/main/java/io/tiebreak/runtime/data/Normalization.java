package io.tiebreak.runtime.data;

import java.util.Arrays;

/** Per-channel (pixel/255 - mean) / std, as torchvision's ToTensor + Normalize. */
public record Normalization(double[] mean, double[] std) {
    public Normalization {
        if (mean.length != std.length || mean.length == 0) throw new IllegalArgumentException("mean and std lengths differ");
        for (double s : std) if (!(s > 0)) throw new IllegalArgumentException("std must be positive: " + Arrays.toString(std));
        mean = mean.clone();
        std = std.clone();
    }

    /** CIFAR-10/100: the study's mean (0.4914, 0.4822, 0.4465) and std (0.2023, 0.1994, 0.2010). */
    public static Normalization cifar() {
        return new Normalization(new double[] {0.4914, 0.4822, 0.4465}, new double[] {0.2023, 0.1994, 0.2010});
    }

    /** SVHN and the MNIST family: 0.5 / 0.5 per channel. */
    public static Normalization half(int channels) {
        double[] m = new double[channels];
        Arrays.fill(m, 0.5);
        return new Normalization(m, m);
    }

    public int channels() { return mean.length; }
    @Override public double[] mean() { return mean.clone(); }
    @Override public double[] std() { return std.clone(); }
}
