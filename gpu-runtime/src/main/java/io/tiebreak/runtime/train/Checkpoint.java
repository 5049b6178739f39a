package io.tiebreak.runtime.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tiebreak.runtime.io.Safetensors;
import io.tiebreak.runtime.io.TensorFiles;
import io.tiebreak.runtime.optim.LossScaler;
import io.tiebreak.runtime.random.Rng;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's full state after an epoch as one safetensors file: weights and batch-norm buffers under their PyTorch
 * names, optimizer state as "optimizer.<param>.<state>", and in the metadata the config, optimizer step count,
 * generator states, loss scaler, the metrics of every finished epoch, and a CRC-32C of all of it. Restoring it and
 * training on gives the same bits as never stopping. Nothing in it depends on when or where it was written (no clock,
 * no host), so equal states give byte-identical files; the epochs' wall-clock seconds go in a small JSON file beside
 * it ({@link #timing}).
 *
 * <p>What a checkpoint promises, and what reading one checks (docs/design.md, "Exit codes and bad input"): the
 * trainer writes one only after an epoch that did not diverge, so its weights and buffers are finite; its sum
 * matches its contents; it was written for the configuration being resumed. A file that breaks any of these is
 * corrupt (or another run's) and fails with a {@link CheckpointException} naming it; NaN weights are never resumed
 * into a run that would then be recorded as diverged, the very outcome the study measures.
 */
public final class Checkpoint {
    private Checkpoint() {}

    static final String FORMAT = "tiebreak-checkpoint/2";
    /** Written before the sum existed; still resumed, with every check but the sum. */
    static final String FORMAT_1 = "tiebreak-checkpoint/1";
    static final String CRC = "crc32c";
    /** Optimizer state: may legitimately be non-finite (Adam's second moment overflows in fp16 while weights stay finite). */
    private static final String OPTIMIZER_PREFIX = "optimizer.";
    private static final ObjectMapper JSON = new ObjectMapper();

    static byte[] write(TrainConfig cfg, Trainer.State st) {
        Safetensors.Writer w = new Safetensors.Writer();
        var backend = st.model.backend();
        TensorFiles.addParameters(w, backend, st.model.parameters());
        st.optimizer.state().forEach((name, t) -> TensorFiles.add(w, backend, name, t));
        w.metadata("format", FORMAT)
                .metadata("config", cfg.canonical())
                .metadata("optimizer_steps", Long.toString(st.optimizer.steps()))
                .metadata("rng.shuffle", st.shuffle.state())
                .metadata("rng.augment", st.augment.state());
        if (st.scaler != null) {
            w.metadata("loss_scale", Double.toString(st.scaler.scale()))
                    .metadata("loss_scale_clean_steps", Integer.toString(st.scaler.cleanSteps()));
        }
        try {
            w.metadata("epochs", JSON.writeValueAsString(st.epochs.stream().map(e -> e.withSeconds(0)).toList()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return w.crc32c(CRC).toBytes();
    }

    /** The wall-clock side of a checkpoint: {"epochs": n, "seconds": total, "epoch_seconds": [s_0, ..., s_n-1]}. */
    record Timing(int epochs, double seconds, double[] epochSeconds) {}

    static byte[] timing(Trainer.State st) {
        try {
            return JSON.writeValueAsBytes(new Timing(st.epochs.size(), st.seconds,
                    st.epochs.stream().mapToDouble(EpochMetrics::seconds).toArray()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Parses a checkpoint's state and checks everything but its tensors' names and shapes: that it is a tiebreak
     * checkpoint, undamaged (its sum), written for config (the canonical form of the run's {@link TrainConfig}), with
     * finite weights and buffers. For readers of checkpoints other than the trainer (zones along training).
     *
     * @throws CheckpointException naming location and what is wrong, on one line
     */
    public static Safetensors.Contents open(byte[] bytes, String location, String config) {
        Safetensors.Contents c;
        try {
            c = Safetensors.read(bytes, location);
        } catch (IllegalArgumentException e) { // its message starts with the location
            throw new CheckpointException(location, "corrupt checkpoint: " + after(e.getMessage(), location), e);
        }
        String format = c.metadata().get("format");
        if (!FORMAT.equals(format) && !FORMAT_1.equals(format)) {
            throw new CheckpointException(location, "not a tiebreak checkpoint (format '" + format + "', expected '"
                    + FORMAT + "')");
        }
        if (FORMAT.equals(format)) {
            String recorded = c.metadata().get(CRC), actual = c.crc32c(CRC);
            if (!actual.equals(recorded)) {
                throw new CheckpointException(location, "corrupt checkpoint: its contents sum to CRC-32C " + actual
                        + ", it was written with " + recorded + " (damaged after it was written)");
            }
        }
        String written = c.metadata().get("config");
        if (written == null) throw new CheckpointException(location, "corrupt checkpoint: its metadata has no 'config'");
        if (!written.equals(config)) {
            throw new CheckpointException(location, "written for another configuration (" + difference(written, config) + ")");
        }
        for (Safetensors.Entry e : c.tensors().values()) {
            if (e.name().startsWith(OPTIMIZER_PREFIX)) continue;
            int at = e.firstNonFinite();
            if (at >= 0) {
                throw new CheckpointException(location, "corrupt checkpoint: tensor '" + e.name() + "' holds "
                        + e.toDoubles()[at] + " at index " + at + "; tiebreak checkpoints only epochs that did not"
                        + " diverge, so their weights are finite");
            }
        }
        return c;
    }

    /** Restores st from a checkpoint written for the same config; errors are {@link CheckpointException}s. */
    static void restore(CheckpointStore.Saved saved, TrainConfig cfg, Trainer.State st) {
        String location = saved.location();
        Safetensors.Contents c = open(saved.state(), location, cfg.canonical());
        var backend = st.model.backend();
        try {
            TensorFiles.loadParameters(c, backend, st.model.parameters(), true);
            TensorFiles.loadAll(c, backend, st.optimizer.state(), true);
            st.optimizer.restoreSteps(Long.parseLong(c.requireMetadata("optimizer_steps")));
            st.shuffle = Rng.fromState(c.requireMetadata("rng.shuffle"));
            st.augment = Rng.fromState(c.requireMetadata("rng.augment"));
            if (st.scaler != null) {
                st.scaler = new LossScaler(Double.parseDouble(c.requireMetadata("loss_scale")),
                        Integer.parseInt(c.requireMetadata("loss_scale_clean_steps")));
            }
            List<EpochMetrics> epochs = JSON.readValue(c.requireMetadata("epochs"), new TypeReference<List<EpochMetrics>>() {});
            st.epochs.clear();
            // Numbered by position from 1: checkpoints written before December 2026 numbered their epochs from 0.
            for (int i = 0; i < epochs.size(); i++) {
                EpochMetrics m = epochs.get(i);
                st.epochs.add(new EpochMetrics(i + 1, m.trainLoss(), m.trainAccuracy(), m.testLoss(), m.testAccuracy(),
                        m.lr(), m.seconds(), m.nonFiniteSteps(), m.gradNorm(), m.lossScale()));
            }
        } catch (IllegalArgumentException e) { // NumberFormatException too; messages of TensorFiles start with the location
            throw new CheckpointException(location, "corrupt checkpoint: " + after(e.getMessage(), location), e);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(location, "corrupt checkpoint: its epochs metadata is not readable ("
                    + e.getOriginalMessage() + ")", e);
        }
        restoreTiming(saved.timing(), st);
    }

    /**
     * Puts back the seconds of the restored epochs; where the timing file is missing or belongs to another epoch
     * (a crash between writing it and the state), they are unknown: NaN, and the run's total counts from here.
     * Checkpoints written before the timing file existed kept the seconds inside (positive where today's write 0).
     */
    private static void restoreTiming(java.util.Optional<byte[]> bytes, Trainer.State st) {
        boolean legacy = !st.epochs.isEmpty() && st.epochs.stream().allMatch(e -> e.seconds() > 0);
        if (bytes.isEmpty() && legacy) {
            st.seconds = st.epochs.stream().mapToDouble(EpochMetrics::seconds).sum();
            return;
        }
        Timing t = null;
        if (bytes.isPresent()) {
            try {
                t = JSON.readValue(bytes.get(), Timing.class);
            } catch (java.io.IOException e) {
                t = null; // a damaged timing file costs the old epochs' seconds, never the state
            }
        }
        boolean matches = t != null && t.epochs() == st.epochs.size() && t.epochSeconds() != null
                && t.epochSeconds().length == st.epochs.size();
        for (int i = 0; i < st.epochs.size(); i++) {
            st.epochs.set(i, st.epochs.get(i).withSeconds(matches ? t.epochSeconds()[i] : Double.NaN));
        }
        st.seconds = matches ? t.seconds() : 0;
    }

    /** A message without the "location: " it starts with (the checkpoint's message adds its own). */
    private static String after(String message, String location) {
        return message != null && message.startsWith(location + ": ") ? message.substring(location.length() + 2) : message;
    }

    /** The settings in which two canonical configs differ, "lr 0.05 in the checkpoint, 0.1 in this run; ...". */
    static String difference(String checkpoint, String run) {
        Map<String, String> a = settings(checkpoint), b = settings(run);
        List<String> out = new ArrayList<>();
        for (String k : a.keySet()) {
            if (!a.get(k).equals(b.get(k))) {
                out.add(k + " " + a.get(k) + " in the checkpoint, " + (b.containsKey(k) ? b.get(k) : "none") + " in this run");
            }
        }
        for (String k : b.keySet()) if (!a.containsKey(k)) out.add(k + " none in the checkpoint, " + b.get(k) + " in this run");
        if (out.isEmpty()) return "the settings differ in form";
        return String.join("; ", out.size() > 3 ? out.subList(0, 3) : out) + (out.size() > 3 ? "; and " + (out.size() - 3) + " more" : "");
    }

    /** "k=v;k=v" (the canonical form) as a map in its order. */
    private static Map<String, String> settings(String canonical) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : canonical.split(";")) {
            int eq = kv.indexOf('=');
            m.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
        }
        return m;
    }
}
