package io.tiebreak.jobs.zones;

import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.fs.Redaction;
import io.tiebreak.jobs.grid.ZoneSpec;
import io.tiebreak.jobs.gridjob.DeviceChoice;
import io.tiebreak.jobs.gridjob.RunExecutor;
import io.tiebreak.jobs.results.ZoneRow;
import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.data.ImageData;
import io.tiebreak.runtime.io.Safetensors;
import io.tiebreak.runtime.io.TensorFiles;
import io.tiebreak.runtime.zones.ZoneProbe;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Measures one task's range of minibatches on an executor: opens the device Spark granted, takes the training split
 * (loaded once per executor JVM), builds the policy-A/B models with the configuration's weights (the seed's
 * initialization, or the sweep checkpoint, checked to be the named run's), and classifies each minibatch with the
 * runtime's {@link ZoneProbe}. Everything a row holds besides its timing depends only on the configuration and the
 * minibatch index, so how the minibatches were split into tasks does not show in the table.
 */
public final class ZoneExecutor {
    private ZoneExecutor() {}

    /** A task's rows, and the device it ran on. */
    public record Chunk(ZoneTask task, List<ZoneRow> rows, String device, double seconds) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** Per minibatch, for progress: called on the executor after each is measured. */
    public interface Tick extends Serializable {
        void measured();
    }

    public static Chunk execute(ZoneTask task, Configuration conf, Tick tick) {
        return execute(task, conf, tick, RunExecutor.Placement.ofCurrentTask(), DeviceChoice.GpuOpener.CUDA);
    }

    static Chunk execute(ZoneTask task, Configuration conf, Tick tick, RunExecutor.Placement placement,
                         DeviceChoice.GpuOpener gpus) {
        long t0 = System.nanoTime();
        ZoneSpec spec = task.spec();
        DeviceChoice.Opened opened;
        try {
            opened = DeviceChoice.open(spec.device(), spec.reproducibility(), placement.threads(), placement.gpus(), gpus);
        } catch (DeviceChoice.Unavailable e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        try (Backend backend = opened.backend()) {
            ImageData train = RunExecutor.data(task.datasetPath(), spec.trainSplit(), spec.trainSubset(), conf);
            if (train.channels() != spec.channels() || train.height() != spec.height() || train.width() != spec.width()
                    || train.classes() != spec.classes()) {
                throw new IllegalStateException(Redaction.uri(task.datasetPath()) + " holds " + train.channels() + "x"
                        + train.height() + "x" + train.width() + " samples of " + train.classes() + " classes, the plan"
                        + " expected " + spec.channels() + "x" + spec.height() + "x" + spec.width() + " of "
                        + spec.classes() + ": was it ingested again? re-run tiebreak zones");
            }
            ZoneProbe probe = new ZoneProbe(backend, spec.modelSpec(), spec.precision(), spec.policyA(), spec.policyB(),
                    spec.reluAlpha(), spec.seed());
            if (task.checkpoint() != null) loadCheckpoint(task, probe, backend, conf);
            List<ZoneRow> rows = new ArrayList<>(task.minibatches());
            long[] started = {System.nanoTime()};
            Minibatches.forRange(train, spec.seed(), spec.batchSize(), spec.normalization(), task.from(), task.to(),
                    (index, x, labels) -> {
                        var m = probe.measure(x, labels);
                        long now = System.nanoTime();
                        rows.add(ZoneRow.of(task.grid(), spec, index, m, (now - started[0]) / 1e9, opened.description()));
                        started[0] = now;
                        tick.measured();
                    });
            return new Chunk(task, rows, opened.description(), (System.nanoTime() - t0) / 1e9);
        } catch (IOException e) {
            throw new IllegalStateException(RunExecutor.reason(e, conf), e);
        }
    }

    /** Loads the sweep checkpoint into policy A's model (then the others), after checking whose it is. */
    private static void loadCheckpoint(ZoneTask task, ZoneProbe probe, Backend backend, Configuration conf)
            throws IOException {
        String shown = Redaction.uri(task.checkpoint());
        Safetensors.Contents c = Safetensors.read(HadoopFs.readAll(new Path(task.checkpoint()), conf,
                Integer.MAX_VALUE - 8), shown);
        String config = c.metadata().get("config");
        if (!task.runConfig().equals(config)) {
            throw new IllegalArgumentException(shown + ": not the checkpoint of run " + task.spec().sourceRunId()
                    + "\n  checkpoint: " + config + "\n  that run:   " + task.runConfig());
        }
        TensorFiles.loadParameters(c, backend, probe.modelA().parameters(), true);
        probe.syncFromA();
    }
}
