package io.tiebreak.jobs.grid;

import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.Normalization;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The study's per-dataset settings (docs/design.md, "Training setup of the reference study"), chosen by dataset name: CIFAR normalization and
 * crop+flip augmentation for CIFAR; 0.5/0.5 for SVHN and the MNIST family, SVHN training on its `extra` split;
 * ImageNet's usual mean/std with flips. Any other dataset is normalized with the mean and std its ingest measured.
 */
public enum DatasetDefaults {
    MNIST_FAMILY("train", null, Augmentation.NONE),
    CIFAR("train", Normalization.cifar(), Augmentation.CIFAR),
    SVHN("extra", null, Augmentation.NONE),
    IMAGENET("train", new Normalization(new double[] {0.485, 0.456, 0.406}, new double[] {0.229, 0.224, 0.225}),
            new Augmentation(0, true)),
    OTHER("train", null, Augmentation.NONE);

    private final String trainSplit;
    private final Normalization normalization;
    private final Augmentation augmentation;

    DatasetDefaults(String trainSplit, Normalization normalization, Augmentation augmentation) {
        this.trainSplit = trainSplit;
        this.normalization = normalization;
        this.augmentation = augmentation;
    }

    public static DatasetDefaults of(String datasetName) {
        String n = datasetName.toLowerCase(Locale.ROOT);
        if (n.equals("mnist") || n.equals("fashion-mnist") || n.equals("kmnist") || n.startsWith("emnist")) {
            return MNIST_FAMILY;
        }
        if (n.startsWith("cifar")) return CIFAR;
        if (n.startsWith("svhn")) return SVHN;
        if (n.startsWith("imagenet")) return IMAGENET;
        return OTHER;
    }

    public String trainSplit() { return trainSplit; }

    public Augmentation augmentation() { return augmentation; }

    /** The normalization of this family, for a dataset of the given shape and measured statistics. */
    public Normalization normalization(DatasetInfo info) {
        if (this == MNIST_FAMILY || this == SVHN) return Normalization.half(info.channels());
        if (normalization != null && normalization.channels() == info.channels()) return normalization;
        return new Normalization(toArray(info.mean()), toArray(info.std()));
    }

    private static double[] toArray(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static List<Double> list(double[] v) { return Arrays.stream(v).boxed().toList(); }
}
