package io.tiebreak.runtime.cli;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.InMemoryImages;
import io.tiebreak.runtime.data.MnistFamily;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.optim.Schedule;
import io.tiebreak.runtime.train.CheckpointStore;
import io.tiebreak.runtime.train.DirectoryCheckpoints;
import io.tiebreak.runtime.train.RunResult;
import io.tiebreak.runtime.train.TrainConfig;
import io.tiebreak.runtime.train.Trainer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Trains one model on an MNIST-family IDX directory, without Spark, printing one table row per epoch. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a model on an in-memory MNIST-family dataset (IDX files) and print per-epoch metrics.")
final class TrainCommand implements Callable<Integer> {
    @Mixin RunOptions run;

    @Option(names = "--data", description = "directory of IDX files (default: ${DEFAULT-VALUE})",
            defaultValue = "/usr/share/datasets/fashion-mnist")
    Path data;

    @Option(names = "--train-limit", converter = Flags.Positive.class, description = "use only the first N training images")
    Integer trainLimit;
    @Option(names = "--test-limit", converter = Flags.Positive.class, description = "use only the first N test images")
    Integer testLimit;
    @Option(names = "--epochs", defaultValue = "3", converter = Flags.Positive.class) int epochs;
    @Option(names = "--lr", defaultValue = "0.05", converter = Flags.PositiveReal.class) double lr;
    @Option(names = "--optimizer", defaultValue = "sgd", converter = Flags.OptimizerName.class,
            description = "sgd (momentum 0.9, weight decay 5e-4) or adam") OptimizerSpec.Kind optimizer;
    @Option(names = "--schedule", defaultValue = "cosine", converter = Flags.ScheduleName.class,
            description = "constant, cosine or step") Schedule.Kind schedule;
    @Option(names = "--batch", defaultValue = "128", converter = Flags.Positive.class) int batch;
    @Option(names = "--micro-batch", converter = Flags.Positive.class, description = "samples per micro-batch: every"
            + " batch's sums over samples are cut into micro-batches of this size and added in a fixed order, the same"
            + " for any --replicas (default: the batch size)") Integer microBatch;
    @Option(names = "--test-batch", defaultValue = "100", converter = Flags.Positive.class) int testBatch;
    @Option(names = "--checkpoints", description = "directory for per-epoch checkpoints; an existing one is resumed") Path checkpoints;

    /** What trains on what, then the column names of the epoch rows. */
    private void header(TrainConfig cfg, int trainSize, int testSize, String where) {
        System.out.printf("%s %s bn=%s policy=%s on %s (%d train, %d test)%s, %s, reproducibility %s%n",
                cfg.model().network().id(), cfg.precision().id(), cfg.model().batchNorm(), cfg.pool(), data, trainSize,
                testSize, cfg.microBatch() < cfg.batchSize() ? ", micro-batch " + cfg.microBatch() : "", where,
                run.reproducibility().id());
        System.out.printf("%5s %10s %9s %10s %9s %9s %8s %9s%n", "epoch", "train_loss", "train_acc", "test_loss",
                "test_acc", "lr", "seconds", "images/s");
    }

    @Override
    public Integer call() throws Exception {
        MnistFamily.Splits splits = MnistFamily.loadSplits(data);
        InMemoryImages train = splits.train(), test = splits.test();
        if (trainLimit != null) train = train.head(trainLimit);
        if (testLimit != null) test = test.head(testLimit);
        OptimizerSpec opt = optimizer == OptimizerSpec.Kind.ADAM ? OptimizerSpec.adam(0) : OptimizerSpec.studySgd();
        Schedule.Kind sk = schedule;
        Schedule sched = sk == Schedule.Kind.COSINE ? Schedule.cosine() : sk == Schedule.Kind.STEP
                ? Schedule.step(Math.max(1, epochs / 3), 0.1) : Schedule.constant();
        TrainConfig cfg = new TrainConfig(run.spec(train.channels(), train.height(), train.width(), train.classes()),
                run.precision(), run.policy(), run.reluAlpha, opt, sched, lr, batch, testBatch, epochs, run.seed,
                Normalization.half(train.channels()), Augmentation.NONE)
                .withMicroBatch(microBatch == null ? batch : microBatch);
        CheckpointStore store = checkpoints == null ? CheckpointStore.NONE : new DirectoryCheckpoints(checkpoints);
        final int trainSize = train.size();
        java.util.function.Consumer<io.tiebreak.runtime.train.EpochMetrics> row = m -> System.out.printf(
                "%5d %10.4f %9.4f %10.4f %9.4f %9.5f %8.2f %9.0f%n", m.epoch(), m.trainLoss(), m.trainAccuracy(),
                m.testLoss(), m.testAccuracy(), m.lr(), m.seconds(), trainSize / m.seconds());
        RunResult r;
        if (run.severalDevices()) {
            var devices = run.devices();
            Trainer trainer = new Trainer(cfg, devices);
            header(cfg, train.size(), test.size(), devices.size() + " devices (" + run.device
                    + (run.threads != null ? ", " + run.threads + " threads" : "") + ")");
            r = trainer.run(train, test, store, row);
        } else {
            try (Backend backend = run.openBackend()) {
                header(cfg, train.size(), test.size(), backend.description());
                r = new Trainer(cfg, backend).run(train, test, store, row);
            }
        }
        System.out.println(r.status().name().toLowerCase(java.util.Locale.ROOT)
                + (r.reason().isEmpty() ? "" : ": " + r.reason())
                + String.format(" (final test accuracy %.4f, %.1f s)", r.finalTestAccuracy(), r.seconds()));
        System.out.println("weights sha256 " + r.digest().weights());
        System.out.println("optimizer sha256 " + r.digest().optimizer());
        // A diverged run is a result (docs/design.md, "Exit codes and bad input"), said on the line above.
        return r.status() == RunResult.Status.FAILED ? CliErrors.FAILURE : 0;
    }
}
