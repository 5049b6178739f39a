package io.tiebreak.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.data.InMemoryImages;
import io.tiebreak.runtime.io.Safetensors;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.precision.Precision;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint that cannot be resumed fails as corrupt, naming the checkpoint on one line, whatever is wrong with
 * it: damaged bytes, NaN weights (never resumed into a run that would then be recorded as diverged), a cut file, a
 * bad header, another dtype, another configuration.
 */
class CheckpointTest {
    private static final String WHERE = "results/checkpoints/abc/epoch-00000.safetensors";
    private static final InMemoryImages DATA = TrainerTest.images(64, 1, 28, 9);
    private static final TrainConfig CFG = TrainerTest.config(Precision.FP32, ModelSpec.Network.LENET5, false, 2,
            OptimizerSpec.studySgd(), 0.01);
    private static byte[] good;

    @BeforeAll
    static void oneEpoch() throws IOException {
        TrainConfig oneEpoch = TrainerTest.config(Precision.FP32, ModelSpec.Network.LENET5, false, 1,
                OptimizerSpec.studySgd(), 0.01);
        TrainerTest.MemoryStore store = new TrainerTest.MemoryStore();
        try (CpuBackend cpu = new CpuBackend(1)) {
            new Trainer(oneEpoch, cpu).run(DATA, DATA.head(32), store, m -> {});
        }
        // The same run with two epochs resumes from it: rewrite its config as the two-epoch run's, and re-sum.
        good = rewrite(store.saved.get(0).state(), SAME, "config", CFG.canonical());
    }

    /** Adds a tensor read back to a writer, maybe changed. */
    interface Copy {
        void add(Safetensors.Entry e, Safetensors.Writer w);
    }

    private static final Copy SAME = (e, w) -> w.add(e.name(), e.dtype(), e.shape(), e.toDoubles());

    /** A copy whose tensor name has value v at index i. */
    private static Copy setting(String name, int i, double v) {
        return (e, w) -> {
            double[] d = e.toDoubles();
            if (e.name().equals(name)) d[i] = v;
            w.add(e.name(), e.dtype(), e.shape(), d);
        };
    }

    /**
     * The checkpoint with its tensors copied through copy and the metadata entry key set to value, summed again as
     * tiebreak sums what it writes: what a writer that produced such a file would have written.
     */
    static byte[] rewrite(byte[] checkpoint, Copy copy, String key, String value) {
        Safetensors.Contents c = Safetensors.read(checkpoint, "in");
        Safetensors.Writer w = new Safetensors.Writer();
        c.tensors().values().forEach(e -> copy.add(e, w));
        c.metadata().forEach((k, v) -> { if (!k.equals(Checkpoint.CRC)) w.metadata(k, k.equals(key) ? value : v); });
        return w.crc32c(Checkpoint.CRC).toBytes();
    }

    private static CheckpointException resume(byte[] checkpoint) {
        return assertThrows(CheckpointException.class, () -> {
            try (CpuBackend cpu = new CpuBackend(1)) {
                new Trainer(CFG, cpu).run(DATA, DATA.head(32), new CheckpointStore() {
                    @Override public java.util.Optional<Saved> latest() {
                        return java.util.Optional.of(new Saved(WHERE, checkpoint, java.util.Optional.empty()));
                    }
                    @Override public void save(int epoch, byte[] state, byte[] timing) {}
                }, m -> {});
            }
        });
    }

    private static void assertNamesTheCheckpoint(CheckpointException e, String what) {
        assertTrue(e.getMessage().startsWith(WHERE + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(what), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void theUntouchedCheckpointResumes() throws IOException {
        TrainerTest.MemoryStore store = new TrainerTest.MemoryStore();
        store.saved.add(new CheckpointStore.Saved("memory", good, java.util.Optional.empty()));
        RunResult r;
        try (CpuBackend cpu = new CpuBackend(1)) {
            r = new Trainer(CFG, cpu).run(DATA, DATA.head(32), store, m -> {});
        }
        assertEquals(RunResult.Status.COMPLETED, r.status(), r.reason());
        assertEquals(2, r.epochsDone());
    }

    @Test
    void nanWeightsAreACorruptCheckpointNotADivergedRun() {
        byte[] nan = rewrite(good, setting("conv1.weight", 7, Double.NaN), "", "");
        assertNamesTheCheckpoint(resume(nan), "corrupt checkpoint: tensor 'conv1.weight' holds NaN at index 7");
        byte[] inf = rewrite(good, setting("fc3.bias", 0, Double.NEGATIVE_INFINITY), "", "");
        assertNamesTheCheckpoint(resume(inf), "holds -Infinity at index 0");
        // A checkpoint of the first format (no sum) gets the same check.
        byte[] v1 = rewrite(nan, SAME, "format", Checkpoint.FORMAT_1);
        assertNamesTheCheckpoint(resume(v1), "holds NaN");
    }

    @Test
    void aFlippedByteAnywhereIsCaughtByTheSum() {
        byte[] flipped = good.clone();
        flipped[flipped.length - 3] ^= 0x01; // a low mantissa bit of the last value: still a finite number
        assertNamesTheCheckpoint(resume(flipped), "corrupt checkpoint: its contents sum to CRC-32C");
        String text = new String(good, java.nio.charset.StandardCharsets.ISO_8859_1)
                .replaceFirst("\"optimizer_steps\":\"2\"", "\"optimizer_steps\":\"3\"");
        assertNamesTheCheckpoint(resume(text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)), "sum to CRC-32C");
    }

    @Test
    void aTruncatedFileOrABadHeaderIsCorrupt() {
        assertNamesTheCheckpoint(resume(Arrays.copyOf(good, good.length - 100)), "corrupt checkpoint:");
        assertNamesTheCheckpoint(resume(Arrays.copyOf(good, 5)), "too short for a safetensors header");
        byte[] header = good.clone();
        header[9] = '!';
        assertNamesTheCheckpoint(resume(header), "is not valid JSON");
        assertNamesTheCheckpoint(resume(rewrite(good, SAME, "format", "something/1")), "not a tiebreak checkpoint");
    }

    @Test
    void anotherDtypeOrAnotherConfigurationIsNamed() {
        byte[] f64 = rewrite(good, (e, w) -> w.add(e.name(), e.name().equals("fc1.weight") ? Safetensors.Dtype.F64
                : e.dtype(), e.shape(), e.toDoubles()), "", "");
        assertNamesTheCheckpoint(resume(f64), "tensor 'fc1.weight' is F64, expected F32 for fp32");
        byte[] other = rewrite(good, SAME, "config", CFG.canonical().replace(";lr=0.01;", ";lr=0.05;"));
        assertNamesTheCheckpoint(resume(other), "written for another configuration (lr 0.05 in the checkpoint, 0.01 in this run)");
    }
}
