package io.tiebreak.runtime.train;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.parallel.Share;
import io.tiebreak.runtime.random.Rng;
import java.util.List;
import java.util.function.Supplier;

/**
 * Training throughput: the Trainer's steps (forward, backward, the sums over micro-batches and devices, the update)
 * on one fixed random batch, timed in windows after a warm-up. Behind the runtime's {@code bench} command.
 */
public final class TrainingBenchmark {
    private TrainingBenchmark() {}

    /** What was measured: images/s of each timed window, and what the first device computes with. */
    public record Result(double[] imagesPerSecond, String backend, int devices, int threadsPerDevice) {
        public double median() {
            double[] s = imagesPerSecond.clone();
            java.util.Arrays.sort(s);
            return s[s.length / 2];
        }
    }

    /** On the caller's backend. */
    public static Result run(TrainConfig cfg, Backend backend, int warmup, int windows, int steps) {
        try (Replicas r = Replicas.caller(backend)) {
            return run(cfg, r, warmup, windows, steps);
        }
    }

    /** On devices opened for it, each on its own thread. */
    public static Result run(TrainConfig cfg, List<Supplier<Backend>> devices, int warmup, int windows, int steps) {
        Share.perDevice(cfg.batchSize(), cfg.microBatch(), devices.size());
        try (Replicas r = Replicas.open(devices)) {
            return run(cfg, r, warmup, windows, steps);
        }
    }

    private static Result run(TrainConfig cfg, Replicas devices, int warmup, int windows, int steps) {
        var s = cfg.model();
        int b = cfg.batchSize();
        Rng rng = Rng.of(cfg.seed(), "bench");
        float[] x = new float[b * s.inChannels() * s.height() * s.width()];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.uniform(-1, 1);
        int[] labels = new int[b];
        for (int i = 0; i < b; i++) labels[i] = rng.nextInt(s.classes());
        Replica[] replicas = new Replica[devices.size()];
        for (int r = 0; r < replicas.length; r++) replicas[r] = new Replica(cfg, devices.backend(r), devices.exchange(r));
        Runnable step = () -> {
            Replica.Step st = devices.run(r -> replicas[r].step(b, x, labels, 1, false, cfg.lr())).get(0);
            if (!Double.isFinite(st.loss())) throw new IllegalStateException("benchmark loss became " + st.loss());
        };
        for (int i = 0; i < warmup; i++) step.run();
        double[] rates = new double[windows];
        for (int w = 0; w < windows; w++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) step.run();
            rates[w] = (double) steps * b / ((System.nanoTime() - t0) / 1e9);
        }
        return new Result(rates, devices.backend(0).description(), devices.size(), devices.backend(0).threads());
    }
}
