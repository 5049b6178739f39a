package io.tiebreak.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.InMemoryImages;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.Model;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.models.Models;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.nn.MaxPool2d;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.optim.Schedule;
import io.tiebreak.runtime.parallel.MicroBatches;
import io.tiebreak.runtime.parallel.Reduction;
import io.tiebreak.runtime.parallel.OnDevices;
import io.tiebreak.runtime.parallel.Share;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Reproducibility;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One run on several devices (docs/design.md, "Data parallelism"): for a given micro-batch size, the same losses,
 * tie counts, gradient norms and final weights on 1, 2 and 4 devices; checkpoints that move between device counts;
 * and a whole batch through the micro-batch ops computes what the whole-batch ops compute.
 */
class DataParallelTest {

    static TrainConfig config(ModelSpec.Network net, boolean bn, int size, Precision p, int batch, int micro) {
        int channels = net == ModelSpec.Network.LENET5 ? 1 : 3;
        return new TrainConfig(new ModelSpec(net, bn, channels, size, size, 10), p,
                PoolPolicy.beta(10, PoolPolicy.Form.COMPOSITE), 0, OptimizerSpec.studySgd(), Schedule.cosine(), 0.05,
                batch, 50, 2, 7, Normalization.half(channels), Augmentation.NONE).withMicroBatch(micro);
    }

    static List<Supplier<Backend>> cpus(int devices, Reproducibility mode) {
        return Collections.nCopies(devices, () -> new CpuBackend(1, mode));
    }

    /** What a run's steps computed: per step the loss, correct count, gradient norm and per-pool tie counts. */
    record Trace(List<String> steps, StateDigest digest) {}

    /** `steps` training steps on consecutive batches of data, on `devices` CPU devices; every device agrees. */
    static Trace steps(TrainConfig cfg, int devices, Reproducibility mode, InMemoryImages data, int steps) {
        int b = cfg.batchSize(), per = data.pixelsPerSample();
        byte[] pixels = new byte[data.size() * per];
        int[] all = new int[data.size()];
        try (var reader = data.epoch(null, false)) {
            reader.next(pixels, all, data.size());
        }
        List<String> trace = new ArrayList<>();
        try (Replicas rs = Replicas.open(cpus(devices, mode))) {
            Replica[] r = new Replica[devices];
            for (int d = 0; d < devices; d++) r[d] = new Replica(cfg, rs.backend(d), rs.exchange(d));
            for (int s = 0; s < steps; s++) {
                float[] host = new float[b * per];
                int[] labels = new int[b];
                for (int i = 0; i < b; i++) {
                    int sample = (s * b + i) % data.size();
                    labels[i] = all[sample];
                    for (int j = 0; j < per; j++) host[i * per + j] = (pixels[sample * per + j] & 0xff) / 127.5f - 1;
                }
                List<Replica.Step> out = rs.run(d -> r[d].step(b, host, labels, 1, false, cfg.lr()));
                List<List<Long>> ties = new ArrayList<>();
                for (Replica x : r) ties.add(x.model.pools().stream().map(MaxPool2d::lastTies).toList());
                for (int d = 1; d < devices; d++) {
                    assertEquals(out.get(0), out.get(d), "step " + s + ": device " + d + " saw what device 0 saw");
                    assertEquals(ties.get(0), ties.get(d), "step " + s + ": device " + d + "'s tie counts");
                }
                Replica.Step st = out.get(0);
                trace.add("loss " + st.loss() + " correct " + st.correct() + " norm " + st.norm() + " ties " + ties.get(0));
            }
            StateDigest digest = StateDigest.of(r[0].model, r[0].optimizer);
            for (Replica x : r) assertEquals(digest, StateDigest.of(x.model, x.optimizer), "every device's weights");
            return new Trace(trace, digest);
        }
    }

    private static void sameOnOneTwoAndFourDevices(TrainConfig cfg, Reproducibility mode, int steps) {
        InMemoryImages data = TrainerTest.images(4 * cfg.batchSize(), cfg.model().inChannels(), cfg.model().height(), 5);
        Trace one = steps(cfg, 1, mode, data, steps);
        assertTrue(one.steps().get(0).matches(".*ties \\[[1-9].*"), "the batches have tied windows: " + one.steps());
        for (int devices : new int[] {2, 4}) {
            Trace many = steps(cfg, devices, mode, data, steps);
            assertEquals(one.steps(), many.steps(), devices + " devices: losses, correct counts, norms, tie counts");
            assertEquals(one.digest(), many.digest(), devices + " devices: weights and optimizer state");
        }
    }

    @ParameterizedTest
    @CsvSource({"false, FP32, PORTABLE", "true, FP32, PORTABLE", "true, FP32, HOST", "true, FP16, PORTABLE",
        "false, FP16, HOST", "true, MIXED, PORTABLE", "true, FP64, PORTABLE"})
    void leNet5StepsAreTheSameBitsOnOneTwoAndFourDevices(boolean bn, Precision p, Reproducibility mode) {
        sameOnOneTwoAndFourDevices(config(ModelSpec.Network.LENET5, bn, 28, p, 16, 4), mode, 3);
    }

    @Tag("slow")
    @ParameterizedTest
    @CsvSource({"VGG11, 32, FP32", "VGG11, 32, FP16", "VGG11, 32, MIXED",
        "RESNET18, 16, FP32", "RESNET18, 16, FP16", "RESNET18, 16, MIXED"})
    void batchNormNetworksStepTheSameBitsOnOneTwoAndFourDevices(ModelSpec.Network net, int size, Precision p) {
        // Batches of 4 in micro-batches of 1: batch norm's statistics still span the batch (its last VGG layer sees
        // 1x1 images: 4 values per channel).
        sameOnOneTwoAndFourDevices(config(net, true, size, p, 4, 1), Reproducibility.PORTABLE, 2);
    }

    @Test
    void microBatchesChangeTheBitsTheirSizeNamesButNotTheDeviceCount() {
        // Not vacuous: cutting the batch does change the sums (it is the semantics, docs/design.md).
        InMemoryImages data = TrainerTest.images(64, 1, 28, 5);
        Trace whole = steps(config(ModelSpec.Network.LENET5, true, 28, Precision.FP32, 16, 16), 1, Reproducibility.PORTABLE, data, 3);
        Trace cut = steps(config(ModelSpec.Network.LENET5, true, 28, Precision.FP32, 16, 4), 1, Reproducibility.PORTABLE, data, 3);
        assertNotEquals(whole.digest(), cut.digest());
    }

    @ParameterizedTest
    @CsvSource({"LENET5, 28, FP32", "LENET5, 28, FP16", "LENET5, 28, MIXED", "LENET5, 28, FP64"})
    void aWholeBatchThroughTheMicroBatchOpsComputesWhatTheWholeBatchOpsCompute(ModelSpec.Network net, int size,
                                                                               Precision p) throws Exception {
        wholeBatchThroughTheMicroBatchOps(net, size, p);
    }

    @Tag("slow")
    @ParameterizedTest
    @CsvSource({"RESNET18, 16, FP32", "RESNET18, 16, FP16", "VGG11, 32, MIXED"})
    void aWholeBatchOfDeepNetworksThroughTheMicroBatchOps(ModelSpec.Network net, int size, Precision p) throws Exception {
        wholeBatchThroughTheMicroBatchOps(net, size, p);
    }

    private static void wholeBatchThroughTheMicroBatchOps(ModelSpec.Network net, int size, Precision p) throws Exception {
        // The batch as the one micro-batch of device 0 of two: every layer takes its micro-batch path (partials,
        // batch norm from totals, the loss as a sum), and must give the bits of the whole-batch ops on one device.
        int n = 6, channels = net == ModelSpec.Network.LENET5 ? 1 : 3;
        ModelSpec spec = new ModelSpec(net, true, channels, size, size, 10);
        double[] x = new double[n * channels * size * size];
        Rng rng = Rng.of(3, "batch");
        for (int i = 0; i < x.length; i++) x[i] = rng.nextInt(5) / 4.0 - 0.5; // few values: ties
        int[] labels = {1, 4, 4, 9, 0, 2};
        List<double[]> single = new ArrayList<>();
        try (CpuBackend cpu = new CpuBackend(1)) {
            Model m = Models.build(spec, new Context(cpu, p), PoolPolicy.MIN_NORM, 0, 9);
            Backend.LossResult r = m.lossAndGradients(cpu.upload(p, new int[] {n, channels, size, size}, x), labels, 8);
            single.add(new double[] {r.loss(), r.correct()});
            for (Parameter q : m.parameters()) single.add(cpu.download(q.isTrainable() ? q.grad() : q.value()));
        }
        List<List<double[]>> devices = OnDevices.run(2, (rank, exchange) -> {
            try (CpuBackend cpu = new CpuBackend(1)) {
                Model m = Models.build(spec, new Context(cpu, p, new Reduction(cpu, exchange)), PoolPolicy.MIN_NORM, 0, 9);
                Share share = new Share(n, n, 1, 2, rank);
                Tensor[] mine = rank == 0 ? new Tensor[] {cpu.upload(p, new int[] {n, channels, size, size}, x)} : new Tensor[0];
                Backend.LossResult r = m.lossAndGradients(new MicroBatches(share, mine), rank == 0 ? new int[][] {labels} : new int[0][], 8);
                List<double[]> out = new ArrayList<>();
                out.add(new double[] {r.loss(), r.correct()});
                for (Parameter q : m.parameters()) out.add(cpu.download(q.isTrainable() ? q.grad() : q.value()));
                return out;
            }
        });
        for (List<double[]> device : devices) {
            for (int i = 0; i < single.size(); i++) assertArrayEquals(single.get(i), device.get(i), "entry " + i);
        }
    }

    private static RunResult train(TrainConfig cfg, int devices, InMemoryImages data, CheckpointStore store)
            throws IOException {
        return new Trainer(cfg, cpus(devices, Reproducibility.PORTABLE)).run(data, data.head(50), store, m -> {});
    }

    @Test
    void aRunOnSeveralDevicesEndsOnTheBitsOfOneDeviceEpochByEpoch() throws IOException {
        // 100 samples in batches of 32: the last batch of each epoch (4 samples) leaves devices 1-3 idle.
        TrainConfig cfg = config(ModelSpec.Network.LENET5, true, 28, Precision.FP32, 32, 8);
        InMemoryImages data = TrainerTest.images(100, 1, 28, 6);
        TrainerTest.MemoryStore one = new TrainerTest.MemoryStore();
        RunResult a = train(cfg, 1, data, one);
        assertEquals(RunResult.Status.COMPLETED, a.status(), a.reason());
        for (int devices : new int[] {2, 4}) {
            TrainerTest.MemoryStore many = new TrainerTest.MemoryStore();
            RunResult b = train(cfg, devices, data, many);
            assertEquals(a.digest(), b.digest(), devices + " devices");
            for (int e = 0; e < 2; e++) {
                assertEquals(a.epochs().get(e).withSeconds(0), b.epochs().get(e).withSeconds(0), "epoch " + e);
                assertArrayEquals(one.saved.get(e).state(), many.saved.get(e).state(), "checkpoint of epoch " + e);
            }
        }
    }

    @Test
    void aCheckpointTakenOnFourDevicesResumesOnOneOnTheSameBits() throws IOException {
        TrainConfig cfg = config(ModelSpec.Network.LENET5, true, 28, Precision.MIXED, 32, 8);
        InMemoryImages data = TrainerTest.images(96, 1, 28, 7);
        TrainerTest.MemoryStore four = new TrainerTest.MemoryStore();
        RunResult straight = train(cfg, 4, data, four);
        TrainerTest.MemoryStore resumed = new TrainerTest.MemoryStore();
        resumed.saved.add(four.saved.get(0));
        RunResult rest;
        try (CpuBackend cpu = new CpuBackend(2, Reproducibility.PORTABLE)) {
            rest = new Trainer(cfg, cpu).run(data, data.head(50), resumed, m -> {});
        }
        assertEquals(straight.digest(), rest.digest());
        assertArrayEquals(four.saved.get(1).state(), resumed.saved.get(1).state(), "the last checkpoint, byte for byte");
        // ... and back: a one-device checkpoint continues on two devices.
        TrainerTest.MemoryStore two = new TrainerTest.MemoryStore();
        two.saved.add(resumed.saved.get(0));
        assertEquals(straight.digest(), train(cfg, 2, data, two).digest());
    }

    @Test
    void aCheckpointKnowsItsMicroBatchSize() throws IOException {
        InMemoryImages data = TrainerTest.images(64, 1, 28, 8);
        TrainerTest.MemoryStore store = new TrainerTest.MemoryStore();
        train(config(ModelSpec.Network.LENET5, false, 28, Precision.FP32, 32, 8), 2, data, store);
        var e = assertThrows(IllegalArgumentException.class,
                () -> train(config(ModelSpec.Network.LENET5, false, 28, Precision.FP32, 32, 16), 2, data, store));
        assertTrue(e.getMessage().contains("micro_batch 8 in the checkpoint, 16 in this run"), e.getMessage());
        assertTrue(!config(ModelSpec.Network.LENET5, false, 28, Precision.FP32, 32, 32).canonical().contains("micro_batch"),
                "a batch in one micro-batch writes the config text it always did");
    }

    @Test
    void devicesThatCannotShareTheMicroBatchesAreRefusedBeforeTraining() {
        TrainConfig cfg = config(ModelSpec.Network.LENET5, false, 28, Precision.FP32, 32, 8);
        var e = assertThrows(IllegalArgumentException.class, () -> new Trainer(cfg, cpus(3, Reproducibility.PORTABLE)));
        assertTrue(e.getMessage().contains("4 micro-batches, which 3 devices cannot share equally"), e.getMessage());
    }
}
