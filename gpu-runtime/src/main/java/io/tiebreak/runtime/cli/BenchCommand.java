package io.tiebreak.runtime.cli;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.optim.Schedule;
import io.tiebreak.runtime.train.TrainConfig;
import io.tiebreak.runtime.train.TrainingBenchmark;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Training throughput: images/s of full SGD-momentum training steps (forward, backward, update) on a fixed random
 * batch, median of several timed windows after warm-up. The number the README's performance table quotes; with
 * --micro-batch and --replicas, the cost of micro-batches and the speed of a run on several devices.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure training images/s for a model, precision, batch size, micro-batch size and device count"
                + " (median of timed windows).")
final class BenchCommand implements Callable<Integer> {
    @Mixin RunOptions run;

    @Option(names = "--batch", defaultValue = "128", converter = Flags.Positive.class) int batch;
    @Option(names = "--micro-batch", converter = Flags.Positive.class,
            description = "samples per micro-batch (default: the batch size)") Integer microBatch;
    @Option(names = "--size", converter = Flags.Positive.class,
            description = "input height and width (default: 28 for lenet5, 32 otherwise)") Integer size;
    @Option(names = "--channels", converter = Flags.Positive.class,
            description = "input channels (default: 1 for lenet5, 3 otherwise)") Integer channels;
    @Option(names = "--warmup", defaultValue = "3", converter = Flags.NonNegative.class, description = "untimed steps first")
    int warmup;
    @Option(names = "--windows", defaultValue = "5", converter = Flags.Positive.class, description = "timed windows")
    int windows;
    @Option(names = "--steps", defaultValue = "5", converter = Flags.Positive.class, description = "steps per window")
    int steps;

    @Override
    public Integer call() {
        boolean lenet = run.network() == ModelSpec.Network.LENET5;
        int hw = size != null ? size : lenet ? 28 : 32, c = channels != null ? channels : lenet ? 1 : 3;
        // Batch-norm's training statistics need two samples; every other flag's range is checked while parsing.
        if (batch < 2) throw new IllegalArgumentException("--batch must be at least 2 for a benchmark, got " + batch);
        TrainConfig cfg = new TrainConfig(run.spec(c, hw, hw, 10), run.precision(), run.policy(), run.reluAlpha,
                OptimizerSpec.studySgd(), Schedule.constant(), 0.01, batch, batch, 1, run.seed, Normalization.half(c),
                Augmentation.NONE).withMicroBatch(microBatch == null ? batch : microBatch);
        TrainingBenchmark.Result r;
        if (run.severalDevices()) {
            r = TrainingBenchmark.run(cfg, run.devices(), warmup, windows, steps);
        } else {
            try (Backend backend = run.openBackend()) {
                r = TrainingBenchmark.run(cfg, backend, warmup, windows, steps);
            }
        }
        System.out.printf("model=%s bn=%s precision=%s policy=%s batch=%d micro_batch=%d devices=%d threads=%d blas=%s%n",
                run.network().id(), run.batchNorm, run.precision().id(), run.policy(), batch, cfg.microBatch(),
                r.devices(), r.threadsPerDevice(), r.backend());
        System.out.printf("windows images/s: %s%n",
                Arrays.toString(Arrays.stream(r.imagesPerSecond()).map(v -> Math.round(v * 10) / 10.0).toArray()));
        System.out.printf("median images/s: %.1f%n", r.median());
        return 0;
    }
}
