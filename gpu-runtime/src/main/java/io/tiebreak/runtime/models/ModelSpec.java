package io.tiebreak.runtime.models;

import java.util.Locale;

/**
 * Which network to build (docs/design.md, "Models"): name, batch-norm on/off, input channels, input size and classes.
 * The ResNet stem follows the input size: 3x3/1 below 64 pixels (CIFAR form), 7x7/2 from 64 up (ImageNet form).
 */
public record ModelSpec(Network network, boolean batchNorm, int inChannels, int height, int width, int classes)
        implements java.io.Serializable {

    public enum Network {
        LENET5, VGG11, VGG13, VGG16, VGG19, RESNET18, RESNET34, RESNET50, DENSENET121;

        /** Canonical name: lenet5, vgg11, ..., resnet50, densenet121. */
        public String id() { return name().toLowerCase(Locale.ROOT); }

        public static Network parse(String s) {
            String t = s.trim().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
            for (Network n : values()) if (n.id().equals(t)) return n;
            throw new IllegalArgumentException("unknown network '" + s + "': expected one of " + String.join(", ",
                    java.util.Arrays.stream(values()).map(Network::id).toList()));
        }
    }

    public ModelSpec {
        if (inChannels <= 0 || height <= 0 || width <= 0 || classes < 2) {
            throw new IllegalArgumentException("invalid model input: " + inChannels + "x" + height + "x" + width
                    + " with " + classes + " classes");
        }
    }

    /** True for the ImageNet-form ResNet stem (7x7/2). */
    public boolean imagenetStem() { return Math.min(height, width) >= 64; }
}
