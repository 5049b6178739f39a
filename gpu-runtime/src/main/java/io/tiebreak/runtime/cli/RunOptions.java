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
    @Option(names = "--model", defaultValue = "lenet5",
            description = "lenet5, vgg11, vgg13, vgg16, vgg19, resnet18, resnet34, resnet50, densenet121 (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--bn", description = "with batch-norm")
    boolean batchNorm;

    @Option(names = "--precision", defaultValue = "fp32", description = "fp16, fp32, fp64, mixed (default: ${DEFAULT-VALUE})")
    String precision;

    @Option(names = "--policy", defaultValue = "first",
            description = "MaxPool Jacobian at ties: first, last, min-norm, all, beta:<B> (default: ${DEFAULT-VALUE})")
    String policy;

    @Option(names = "--form", defaultValue = "exact", description = "for beta:<B>: exact or composite (default: ${DEFAULT-VALUE})")
    String form;

    @Option(names = "--relu-alpha", defaultValue = "0", description = "ReLU'(0) (default: ${DEFAULT-VALUE})")
    double reluAlpha;

    @Option(names = "--seed", defaultValue = "0", description = "initialization seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--device", defaultValue = "cpu",
            description = "cpu, cpu:<threads> or cuda:<index> (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--threads", description = "CPU threads, same as --device cpu:<threads> (default: all cores)")
    Integer threads;

    @Option(names = "--reproducibility", defaultValue = "host",
            description = "portable (the same bits on every machine) or host (the host's BLAS: the same bits on the same"
                    + " CPU model; faster for large convolutions) (default: ${DEFAULT-VALUE})")
    String reproducibility;

    public Reproducibility reproducibility() { return Reproducibility.parse(reproducibility); }

    public Precision precision() { return Precision.parse(precision); }

    public PoolPolicy policy() { return PoolPolicy.parse(policy, PoolPolicy.Form.parse(form)); }

    public ModelSpec.Network network() { return ModelSpec.Network.parse(model); }

    public ModelSpec spec(int channels, int height, int width, int classes) {
        return new ModelSpec(network(), batchNorm, channels, height, width, classes);
    }

    /** The backend the options name: --device, with --threads as a shorthand for cpu:<threads>. */
    public Backend openBackend() {
        if (threads != null) {
            if (!device.equals("cpu")) throw new IllegalArgumentException("--threads applies to --device cpu only");
            if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
            return Backends.open("cpu:" + threads, reproducibility());
        }
        return Backends.open(device, reproducibility());
    }
}
