package io.tiebreak.runtime.cli;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.backend.Backends;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Reproducibility;
import picocli.CommandLine.Option;

/** The options that pick a network and its numerics, shared by train, grad and bench. */
public final class RunOptions {
    @Option(names = "--model", defaultValue = "lenet5", converter = Flags.NetworkName.class,
            description = "lenet5, vgg11, vgg13, vgg16, vgg19, resnet18, resnet34, resnet50, densenet121 (default: ${DEFAULT-VALUE})")
    ModelSpec.Network model;

    @Option(names = "--bn", description = "with batch-norm")
    boolean batchNorm;

    @Option(names = "--precision", defaultValue = "fp32", converter = Flags.PrecisionName.class,
            description = "fp16, fp32, fp64, mixed (default: ${DEFAULT-VALUE})")
    Precision precision;

    @Option(names = "--policy", defaultValue = "first", converter = Flags.PolicyName.class,
            description = "MaxPool Jacobian at ties: first, last, min-norm, all, beta:<B> (default: ${DEFAULT-VALUE})")
    String policy;

    @Option(names = "--form", defaultValue = "exact", converter = Flags.FormName.class,
            description = "for beta:<B>: exact or composite (default: ${DEFAULT-VALUE})")
    PoolPolicy.Form form;

    @Option(names = "--relu-alpha", defaultValue = "0", converter = Flags.FiniteReal.class, description = "ReLU'(0) (default: ${DEFAULT-VALUE})")
    double reluAlpha;

    @Option(names = "--seed", defaultValue = "0", description = "initialization seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--device", defaultValue = "cpu",
            description = "cpu, cpu:<threads> or cuda:<index> (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--threads", converter = Flags.Positive.class, description = "CPU threads, same as --device cpu:<threads> (default: all cores)")
    Integer threads;

    @Option(names = "--reproducibility", defaultValue = "host", converter = Flags.ReproducibilityName.class,
            description = "portable (the same bits on every machine) or host (the host's BLAS: the same bits on the same"
                    + " CPU model; faster for large convolutions) (default: ${DEFAULT-VALUE})")
    Reproducibility reproducibility;

    public Reproducibility reproducibility() { return reproducibility; }

    public Precision precision() { return precision; }

    /** --policy under --form (each was checked alone while parsing; what is left is whether they go together). */
    public PoolPolicy policy() {
        try {
            return PoolPolicy.parse(policy, form);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--policy " + policy + " --form " + form.id() + ": " + e.getMessage());
        }
    }

    public ModelSpec.Network network() { return model; }

    public ModelSpec spec(int channels, int height, int width, int classes) {
        return new ModelSpec(network(), batchNorm, channels, height, width, classes);
    }

    /** The backend the options name: --device, with --threads as a shorthand for cpu:<threads>. */
    public Backend openBackend() {
        if (threads != null) {
            if (!device.equals("cpu")) throw new IllegalArgumentException("--threads applies to --device cpu only");
            return Backends.open("cpu:" + threads, reproducibility());
        }
        try {
            return Backends.open(device, reproducibility());
        } catch (IllegalArgumentException e) { // a malformed name (no GPU is another exception: exit 3)
            throw new IllegalArgumentException("--device: " + e.getMessage(), e);
        }
    }
}
