package io.tiebreak.runtime.cli;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.backend.Backends;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Reproducibility;
import java.util.List;
import java.util.function.Supplier;
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
            description = "cpu, cpu:<threads>, cuda:<index>, or GPUs for one run: cuda:0,cuda:1,... (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--replicas", converter = Flags.Positive.class,
            description = "devices one run trains on (data parallel, the same bits for any count): CPU backends of"
                    + " threads/replicas threads each, or the GPUs cuda:0.. (default: 1, or the number of GPUs --device lists)")
    Integer replicas;

    @Option(names = "--threads", converter = Flags.Positive.class, description = "CPU threads, same as --device cpu:<threads> (default: all cores)")
    Integer threads;

    @Option(names = "--reproducibility", defaultValue = "portable", converter = Flags.ReproducibilityName.class,
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
        if (replicas != null && replicas != 1 || device.contains(",")) {
            throw new IllegalArgumentException("this command runs on one device: drop --replicas and list one --device");
        }
        String name = deviceName();
        try {
            return Backends.open(name, reproducibility());
        } catch (IllegalArgumentException e) { // a malformed name (no GPU is another exception: exit 3)
            throw new IllegalArgumentException("--device: " + e.getMessage(), e);
        }
    }

    /** Whether the options ask for more than one device (--replicas, or a list of GPUs). */
    public boolean severalDevices() {
        return replicas != null && replicas != 1 || device.contains(",");
    }

    /** The devices of a data-parallel run: --device split over --replicas (see {@link Backends#devices}). */
    public List<Supplier<Backend>> devices() {
        return Backends.devices(deviceName(), replicas, reproducibility());
    }

    /** --device, with --threads as a shorthand for cpu:<threads>. */
    private String deviceName() {
        if (threads == null) return device;
        if (!device.equals("cpu")) throw new IllegalArgumentException("--threads applies to --device cpu only");
        return "cpu:" + threads;
    }
}
