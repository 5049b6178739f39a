package io.tiebreak.jobs.sweep;

import io.tiebreak.jobs.grid.RunSpec;

/**
 * A rough cost of a run (training FLOPs, up to a constant), only to start the longest runs first so that a sweep
 * does not end waiting on one long straggler.
 */
final class RunCost {
    private RunCost() {}

    /** Forward MFLOPs per 32x32 image (28x28 for LeNet-5), from the networks' layer shapes. */
    private static double mflops(RunSpec s) {
        double base = switch (s.model().network()) {
            case LENET5 -> 0.6;
            case VGG11 -> 153;
            case VGG13 -> 229;
            case VGG16 -> 314;
            case VGG19 -> 399;
            case RESNET18 -> 557;
            case RESNET34 -> 1160;
            case RESNET50 -> 1300;
            case DENSENET121 -> 116;
        };
        double pixels = (double) s.model().height() * s.model().width() / (s.model().network() == io.tiebreak.runtime.models.ModelSpec.Network.LENET5 ? 784 : 1024);
        return base * pixels * (s.precision() == io.tiebreak.runtime.precision.Precision.FP64 ? 2 : 1);
    }

    static double of(RunSpec s, long trainSamples) {
        return mflops(s) * s.training().epochs() * trainSamples;
    }
}
