package io.tiebreak.runtime.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tiebreak.runtime.io.Safetensors;
import io.tiebreak.runtime.io.TensorFiles;
import io.tiebreak.runtime.optim.LossScaler;
import io.tiebreak.runtime.random.Rng;
import java.util.List;

/**
 * A run's full state after an epoch as one safetensors file: weights and batch-norm buffers under their PyTorch
 * names, optimizer state as "optimizer.<param>.<state>", and in the metadata the config, optimizer step count,
 * generator states, loss scaler and the metrics of every finished epoch. Restoring it and training on gives the same
 * bits as never stopping. Nothing in it depends on when or where it was written (no clock, no host), so equal states
 * give byte-identical files; the epochs' wall-clock seconds go in a small JSON file beside it ({@link #timing}).
 */
final class Checkpoint {
    private Checkpoint() {}

    static final String FORMAT = "tiebreak-checkpoint/1";
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
        return w.toBytes();
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

    /** Restores st from a checkpoint written for the same config; errors name the source and what is wrong. */
    static void restore(CheckpointStore.Saved saved, String source, TrainConfig cfg, Trainer.State st) {
        byte[] bytes = saved.state();
        Safetensors.Contents c = Safetensors.read(bytes, source);
        String format = c.metadata().get("format");
        if (!FORMAT.equals(format)) {
            throw new IllegalArgumentException(source + ": not a tiebreak checkpoint (format '" + format + "', expected '"
                    + FORMAT + "')");
        }
        String config = c.requireMetadata("config");
        if (!config.equals(cfg.canonical())) {
            throw new IllegalArgumentException(source + ": written for another configuration\n  checkpoint: " + config
                    + "\n  this run:   " + cfg.canonical());
        }
        var backend = st.model.backend();
        TensorFiles.loadParameters(c, backend, st.model.parameters(), true);
        TensorFiles.loadAll(c, backend, st.optimizer.state(), true);
        try {
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
            restoreTiming(saved.timing(), st);
        } catch (NumberFormatException | JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": corrupt metadata: " + e.getMessage());
        }
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
}
