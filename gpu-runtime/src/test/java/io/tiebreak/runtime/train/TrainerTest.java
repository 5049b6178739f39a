package io.tiebreak.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.ImageData;
import io.tiebreak.runtime.data.InMemoryImages;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.optim.Schedule;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.random.Rng;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Training is deterministic, thread-count independent, resumable bit for bit, and reports divergence. */
class TrainerTest {

    /** Small images with a learnable signal: class c brightens column band c. Ties abound (flat regions). */
    static InMemoryImages images(int n, int channels, int size, long seed) {
        Rng rng = Rng.of(seed, "images");
        int per = channels * size * size;
        byte[] px = new byte[n * per];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(10);
            for (int j = 0; j < per; j++) {
                int x = j % size;
                px[i * per + j] = (byte) ((x / 3 == labels[i] ? 160 : 40) + rng.nextInt(4) * 16);
            }
        }
        List<String> names = new ArrayList<>();
        for (int c = 0; c < 10; c++) names.add("class" + c);
        return new InMemoryImages(channels, size, size, names, px, labels);
    }

    static TrainConfig config(Precision p, ModelSpec.Network net, boolean bn, int epochs, OptimizerSpec opt, double lr) {
        int channels = net == ModelSpec.Network.LENET5 ? 1 : 3, size = net == ModelSpec.Network.LENET5 ? 28 : 32;
        return new TrainConfig(new ModelSpec(net, bn, channels, size, size, 10), p, PoolPolicy.beta(10, PoolPolicy.Form.COMPOSITE),
                0, opt, Schedule.cosine(), lr, 32, 50, epochs, 11, Normalization.half(channels),
                net == ModelSpec.Network.LENET5 ? Augmentation.NONE : Augmentation.CIFAR);
    }

    /** Keeps every checkpoint in memory, newest last. */
    static final class MemoryStore implements CheckpointStore {
        final List<Saved> saved = new ArrayList<>();

        @Override public Optional<Saved> latest() { return saved.isEmpty() ? Optional.empty() : Optional.of(saved.get(saved.size() - 1)); }
        @Override public void save(int epoch, byte[] state, byte[] timing) { saved.add(new Saved(state, Optional.of(timing))); }
    }

    private static RunResult train(TrainConfig cfg, int threads, InMemoryImages train, CheckpointStore store) throws IOException {
        try (CpuBackend cpu = new CpuBackend(threads)) {
            return new Trainer(cfg, cpu).run(train, train.head(100), store, m -> {});
        }
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class)
    void sameSeedSameBitsWhateverTheThreadCount(Precision p) throws IOException {
        TrainConfig cfg = config(p, ModelSpec.Network.LENET5, true, 2, OptimizerSpec.studySgd(), 0.05);
        InMemoryImages data = images(300, 1, 28, 1);
        MemoryStore one = new MemoryStore(), two = new MemoryStore();
        RunResult a = train(cfg, 1, data, one), b = train(cfg, 2, data, two);
        assertEquals(RunResult.Status.COMPLETED, a.status(), a.reason());
        assertArrayEquals(one.saved.get(1).state(), two.saved.get(1).state(), "checkpoint files after two epochs");
        assertEquals(a.digest(), b.digest());
        assertEquals(a.finalTestAccuracy(), b.finalTestAccuracy());
    }

    @ParameterizedTest
    @CsvSource({"FP16, SGD", "MIXED, ADAM", "FP32, ADAM", "FP64, SGD"})
    void resumingFromACheckpointGivesTheBitsOfAnUninterruptedRun(Precision p, OptimizerSpec.Kind kind) throws IOException {
        // (fp16 Adam is left out on purpose: its eps 1e-8 rounds to 0 in binary16 and the run diverges, as in PyTorch.)
        OptimizerSpec opt = kind == OptimizerSpec.Kind.ADAM ? OptimizerSpec.adam(1e-4) : OptimizerSpec.studySgd();
        TrainConfig cfg = config(p, ModelSpec.Network.VGG11, true, 3, opt, kind == OptimizerSpec.Kind.ADAM ? 1e-3 : 0.02);
        InMemoryImages data = images(64, 3, 32, 2);
        MemoryStore straight = new MemoryStore();
        RunResult whole = train(cfg, 2, data, straight);
        assertEquals(RunResult.Status.COMPLETED, whole.status(), whole.reason());
        // Interrupted after epoch 1 (epochs are numbered from 1): a new trainer starts from that checkpoint.
        MemoryStore resumed = new MemoryStore();
        resumed.saved.add(straight.saved.get(0));
        List<Integer> epochsRun = new ArrayList<>();
        RunResult rest;
        try (CpuBackend cpu = new CpuBackend(2)) {
            rest = new Trainer(cfg, cpu).run(data, data.head(100), resumed, m -> epochsRun.add(m.epoch()));
        }
        assertEquals(List.of(2, 3), epochsRun, "only the missing epochs run");
        assertEquals(List.of(1, 2, 3), rest.epochs().stream().map(EpochMetrics::epoch).toList());
        assertEquals(3, rest.epochsDone(), "restored epochs are reported too");
        assertArrayEquals(straight.saved.get(2).state(), resumed.saved.get(resumed.saved.size() - 1).state(),
                "the resumed run's last checkpoint is the uninterrupted run's, byte for byte");
        assertEquals(whole.digest(), rest.digest());
        assertEquals(whole.epochs().get(0).seconds(), rest.epochs().get(0).seconds(), "restored epochs keep their seconds");
        for (int e = 0; e < 3; e++) {
            assertEquals(whole.epochs().get(e).trainLoss(), rest.epochs().get(e).trainLoss(), "train loss of epoch " + e);
            assertEquals(whole.epochs().get(e).testAccuracy(), rest.epochs().get(e).testAccuracy());
        }
    }

    @Test
    void aCheckpointOfAnotherConfigIsRefused() throws IOException {
        InMemoryImages data = images(40, 1, 28, 3);
        MemoryStore store = new MemoryStore();
        train(config(Precision.FP32, ModelSpec.Network.LENET5, false, 1, OptimizerSpec.studySgd(), 0.01), 1, data, store);
        TrainConfig other = config(Precision.FP32, ModelSpec.Network.LENET5, false, 1, OptimizerSpec.studySgd(), 0.02);
        var e = assertThrows(IllegalArgumentException.class, () -> train(other, 1, data, store));
        assertTrue(e.getMessage().contains("written for another configuration"), e.getMessage());
    }

    @Test
    void aDivergingRunEndsAsDivergedWithTheEpochAndClassZeroAccuracy() throws IOException {
        // lr 1e6 in fp16 overflows within the first steps.
        TrainConfig cfg = config(Precision.FP16, ModelSpec.Network.LENET5, false, 3, OptimizerSpec.studySgd(), 1e6);
        InMemoryImages data = images(200, 1, 28, 4);
        AtomicReference<EpochMetrics> last = new AtomicReference<>();
        RunResult r;
        try (CpuBackend cpu = new CpuBackend(2)) {
            r = new Trainer(cfg, cpu).run(data, data.head(100), CheckpointStore.NONE, last::set);
        }
        assertEquals(RunResult.Status.DIVERGED, r.status());
        assertTrue(r.reason().contains("non-finite") || r.reason().contains("NaN") || r.reason().contains("Infinity"), r.reason());
        assertEquals(1, r.epochsDone(), "stops in the epoch it diverged");
        long zeros = 0;
        InMemoryImages test = data.head(100);
        for (int i = 0; i < test.size(); i++) if (test.label(i) == 0) zeros++;
        assertEquals(zeros / 100.0, r.finalTestAccuracy(), 1e-12, "a NaN network predicts class 0");
        assertEquals(last.get(), r.epochs().get(0));
    }

    /** Share of class c among the labels of d. */
    private static double share(InMemoryImages d, int c) {
        long k = 0;
        for (int i = 0; i < d.size(); i++) if (d.label(i) == c) k++;
        return (double) k / d.size();
    }

    /**
     * Images of {@code lo} with the column band of their class at {@code hi} (no noise), every other one of class 0
     * so that class 0 has a share no guess would hit.
     */
    private static InMemoryImages banded(int n, long seed, int lo, int hi) {
        Rng rng = Rng.of(seed, "banded");
        byte[] px = new byte[n * 784];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 2 == 0 ? 0 : rng.nextInt(10);
            for (int j = 0; j < 784; j++) px[i * 784 + j] = (byte) ((j % 28) / 3 == labels[i] ? hi : lo);
        }
        return new InMemoryImages(1, 28, 28, images(1, 1, 28, 0).classNames(), px, labels);
    }

    private static TrainConfig scaled(Precision p, PoolPolicy pool, double inputScale, double lr) {
        // pixel/255 * inputScale: the study's inputs, made large enough to overflow binary16 where a test needs it.
        return new TrainConfig(new ModelSpec(ModelSpec.Network.LENET5, false, 1, 28, 28, 10), p, pool, 0,
                OptimizerSpec.studySgd(), Schedule.cosine(), lr, 32, 50, 2, 11,
                new Normalization(new double[] {0}, new double[] {1 / inputScale}), Augmentation.NONE);
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class)
    void aNaNNetworkPredictsClassZeroAndTheFirstNaNLogitWins(Precision p) {
        InMemoryImages data = banded(120, 8, 40, 200);
        TrainConfig cfg = config(p, ModelSpec.Network.LENET5, true, 1, OptimizerSpec.studySgd(), 0.05);
        try (CpuBackend cpu = new CpuBackend(1)) {
            Trainer trainer = new Trainer(cfg, cpu);
            var model = trainer.initialState().model;
            double before = trainer.evaluate(model, data)[1];
            assertTrue(before != share(data, 0), "the finite network must not score the class-0 share by chance");
            // Only the logits of classes 7 and 3 are NaN: NaN counts as the maximum, the first NaN wins (torch.max).
            double[] bias = cpu.download(model.parameter("fc3.bias").value());
            bias[7] = Double.NaN;
            bias[3] = Double.NaN;
            cpu.write(model.parameter("fc3.bias").value(), bias);
            assertEquals(share(data, 3), trainer.evaluate(model, data)[1], 0, "every image predicted as class 3");
            // Every weight NaN: every logit NaN, so the first one, class 0.
            for (Parameter param : model.parameters()) cpu.fill(param.value(), Double.NaN);
            double[] nan = trainer.evaluate(model, data);
            assertTrue(Double.isNaN(nan[0]), "test loss " + nan[0]);
            assertEquals(share(data, 0), nan[1], 0, "a NaN network scores the share of class 0");
        }
    }

    @Test
    void aRunWhoseLossTurnsNaNIsScoredAfterThatStepAsTheStudyScoresIt() throws IOException {
        // fp16, the study's composite beta:10000: round(10000 * m) overflows to inf once a pooled value m exceeds
        // 6.55, inf - inf is NaN, and so is the loss of the very first step on these bright training images. Its step
        // is applied (NaN weights). The dim test images keep the network before that step finite.
        TrainConfig cfg = scaled(Precision.FP16, PoolPolicy.beta(10000, PoolPolicy.Form.COMPOSITE), 40, 0.05);
        InMemoryImages data = banded(128, 9, 40, 200), test = banded(100, 19, 0, 12);
        RunResult r;
        double initial;
        try (CpuBackend cpu = new CpuBackend(2)) {
            Trainer trainer = new Trainer(cfg, cpu);
            initial = trainer.evaluate(trainer.initialState().model, test)[1];
            r = trainer.run(data, test, CheckpointStore.NONE, m -> {});
        }
        assertEquals(RunResult.Status.DIVERGED, r.status());
        assertEquals("loss became NaN at step 1 of the epoch", r.reason());
        assertEquals(1, r.epochsDone(), "the diverged epoch is recorded, with what it measured");
        EpochMetrics e = r.epochs().get(0);
        assertTrue(Double.isNaN(e.trainLoss()) && Double.isNaN(e.testLoss()), e.toString());
        assertEquals(1, e.nonFiniteSteps());
        assertEquals(share(test, 0), r.finalTestAccuracy(), 0, "scored as the NaN network the study went on with");
        assertTrue(initial != r.finalTestAccuracy(), "the network before the step scores " + initial + " (not what is measured)");
        assertTrue(Double.isNaN(r.lastFiniteTestAccuracy()), "no epoch ended finite");
    }

    @Test
    void mixedPrecisionSkipsStepsWithNonFiniteLossesAndTrainsOn() throws IOException {
        // Inputs up to 257 (pixel 1) train; one image with a pixel of 255 is 65535 there, an infinite binary16
        // operand: its minibatch has a NaN loss. GradScaler skips that step (and halves the scale), it ends nothing.
        InMemoryImages clean = banded(320, 10, 0, 1);
        byte[] px = new byte[320 * 784];
        int[] labels = new int[320];
        try (ImageData.EpochReader rd = clean.epoch(null, false)) {
            rd.next(px, labels, 320);
        }
        px[5 * 784 + 400] = (byte) 255;
        InMemoryImages data = new InMemoryImages(1, 28, 28, clean.classNames(), px, labels);
        TrainConfig cfg = scaled(Precision.MIXED, PoolPolicy.FIRST, 255 * 257, 1e-4);
        RunResult r;
        try (CpuBackend cpu = new CpuBackend(2)) {
            r = new Trainer(cfg, cpu).run(data, data.head(50), CheckpointStore.NONE, m -> {});
        }
        assertEquals(RunResult.Status.COMPLETED, r.status(), r.reason());
        for (EpochMetrics e : r.epochs()) {
            assertTrue(e.nonFiniteSteps() >= 1, "the bright image's step is skipped in epoch " + e.epoch());
            assertTrue(Double.isNaN(e.trainLoss()), "and its NaN loss is in the epoch's mean: " + e.trainLoss());
        }
        assertEquals(r.finalTestAccuracy(), r.lastFiniteTestAccuracy());
    }

    @Test
    void mixedPrecisionDivergesWhenNoStepOfAnEpochCanBeApplied() throws IOException {
        // Every input is an infinite binary16 operand: every loss is NaN, every step skipped, the network frozen.
        InMemoryImages data = banded(64, 12, 40, 200);
        TrainConfig cfg = scaled(Precision.MIXED, PoolPolicy.FIRST, 1e7, 0.05);
        RunResult r;
        try (CpuBackend cpu = new CpuBackend(2)) {
            r = new Trainer(cfg, cpu).run(data, data, CheckpointStore.NONE, m -> {});
        }
        assertEquals(RunResult.Status.DIVERGED, r.status());
        assertEquals("no step of the epoch could be applied: all 2 had non-finite gradients (loss scale fell to 16384.0)",
                r.reason());
        assertEquals(1, r.epochsDone());
        assertEquals(2, r.epochs().get(0).nonFiniteSteps());
        assertEquals(share(data, 0), r.finalTestAccuracy(), 0, "its forward is NaN on every image: class 0");
    }

    @Test
    void dataThatDoesNotFitTheModelIsAClearError() {
        TrainConfig cfg = config(Precision.FP32, ModelSpec.Network.LENET5, false, 1, OptimizerSpec.studySgd(), 0.01);
        var e = assertThrows(IllegalArgumentException.class, () -> train(cfg, 1, images(10, 3, 32, 5), new MemoryStore()));
        assertTrue(e.getMessage().contains("expects 1x28x28"), e.getMessage());
    }

    @Test
    void mixedPrecisionKeepsBinary32MasterWeightsAndBinary16Products() throws IOException {
        TrainConfig cfg = config(Precision.MIXED, ModelSpec.Network.LENET5, false, 1, OptimizerSpec.studySgd(), 0.05);
        MemoryStore store = new MemoryStore();
        train(cfg, 2, images(100, 1, 28, 6), store);
        var c = io.tiebreak.runtime.io.Safetensors.read(store.saved.get(0).state(), "checkpoint");
        double[] w = c.require("conv1.weight").toDoubles();
        long notHalf = java.util.Arrays.stream(w).filter(v -> !io.tiebreak.runtime.precision.Half.isHalf((float) v)).count();
        assertTrue(notHalf > w.length / 2, "master weights are binary32, not binary16 (" + notHalf + " of " + w.length + ")");
        assertEquals(io.tiebreak.runtime.io.Safetensors.Dtype.F32, c.require("conv1.weight").dtype());
        assertEquals("65536.0", c.metadata().get("loss_scale"));
    }

    @Test
    void fp16KeepsEveryStoredValueInBinary16() throws IOException {
        TrainConfig cfg = config(Precision.FP16, ModelSpec.Network.LENET5, true, 1, OptimizerSpec.studySgd(), 0.05);
        MemoryStore store = new MemoryStore();
        train(cfg, 2, images(100, 1, 28, 7), store);
        var c = io.tiebreak.runtime.io.Safetensors.read(store.saved.get(0).state(), "checkpoint");
        c.tensors().values().forEach(e -> assertEquals(io.tiebreak.runtime.io.Safetensors.Dtype.F16, e.dtype(), e.name()));
        assertTrue(c.tensors().containsKey("optimizer.fc3.weight.momentum_buffer"));
        assertTrue(c.tensors().containsKey("bn1.running_var"));
    }

    @Test
    void parametersAreNamedAsPyTorchNamesThem() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            var model = io.tiebreak.runtime.models.Models.build(new ModelSpec(ModelSpec.Network.RESNET18, true, 3, 32, 32, 10),
                    new io.tiebreak.runtime.nn.Context(cpu, Precision.FP32), PoolPolicy.FIRST, 0, 1);
            List<String> names = model.parameters().stream().map(Parameter::name).toList();
            assertTrue(names.containsAll(List.of("conv1.weight", "bn1.running_mean", "layer2.0.shortcut.0.weight",
                    "layer2.0.shortcut.1.bias", "layer4.1.bn2.weight", "linear.weight", "linear.bias")), names.toString());
        }
    }
}
