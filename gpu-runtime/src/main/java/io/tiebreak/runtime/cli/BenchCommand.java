package io.tiebreak.runtime.cli;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.models.Model;
import io.tiebreak.runtime.models.Models;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.optim.Optimizer;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Training throughput: images/s of full SGD-momentum training steps (forward, backward, update) on a fixed random
 * batch, median of several timed windows after warm-up. The number the README's performance table quotes.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure training images/s for a model, precision and batch size (median of timed windows).")
final class BenchCommand implements Callable<Integer> {
    @Mixin RunOptions run;

    @Option(names = "--batch", defaultValue = "128") int batch;
    @Option(names = "--size", description = "input height and width (default: 28 for lenet5, 32 otherwise)") Integer size;
    @Option(names = "--channels", description = "input channels (default: 1 for lenet5, 3 otherwise)") Integer channels;
    @Option(names = "--warmup", defaultValue = "3", description = "untimed steps first") int warmup;
    @Option(names = "--windows", defaultValue = "5", description = "timed windows") int windows;
    @Option(names = "--steps", defaultValue = "5", description = "steps per window") int steps;

    @Override
    public Integer call() {
        boolean lenet = run.network() == io.tiebreak.runtime.models.ModelSpec.Network.LENET5;
        int hw = size != null ? size : lenet ? 28 : 32, c = channels != null ? channels : lenet ? 1 : 3;
        if (batch < 2 || windows < 1 || steps < 1 || warmup < 0) {
            throw new IllegalArgumentException("need --batch >= 2, --windows >= 1, --steps >= 1, --warmup >= 0");
        }
        try (Backend backend = run.openBackend()) {
            Model model = Models.build(run.spec(c, hw, hw, 10), new Context(backend, run.precision()), run.policy(), run.reluAlpha, run.seed);
            Optimizer opt = new Optimizer(OptimizerSpec.studySgd(), backend, model.trainable());
            Rng rng = Rng.of(run.seed, "bench");
            double[] x = new double[batch * c * hw * hw];
            for (int i = 0; i < x.length; i++) x[i] = rng.uniform(-1, 1);
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) labels[i] = rng.nextInt(10);
            Tensor input = backend.upload(run.precision(), new int[] {batch, c, hw, hw}, x);
            for (int i = 0; i < warmup; i++) step(model, opt, input, labels);
            double[] rates = new double[windows];
            for (int wdw = 0; wdw < windows; wdw++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) step(model, opt, input, labels);
                rates[wdw] = (double) steps * batch / ((System.nanoTime() - t0) / 1e9);
            }
            double[] sorted = rates.clone();
            Arrays.sort(sorted);
            double median = sorted[windows / 2];
            System.out.printf("model=%s bn=%s precision=%s policy=%s batch=%d threads=%d blas=%s%n", run.network().id(),
                    run.batchNorm, run.precision().id(), run.policy(), batch, backend.threads(), backend.description());
            System.out.printf("windows images/s: %s%n", Arrays.toString(Arrays.stream(rates).map(r -> Math.round(r * 10) / 10.0).toArray()));
            System.out.printf("median images/s: %.1f%n", median);
        }
        return 0;
    }

    private static void step(Model model, Optimizer opt, Tensor input, int[] labels) {
        Backend.LossResult r = model.lossAndGradients(input, labels, 1);
        if (!Double.isFinite(r.loss())) throw new IllegalStateException("benchmark loss became " + r.loss());
        opt.step(0.01);
    }
}
