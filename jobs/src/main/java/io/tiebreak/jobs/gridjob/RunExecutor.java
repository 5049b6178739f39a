package io.tiebreak.jobs.gridjob;

import io.tiebreak.jobs.fs.Redaction;
import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.jobs.ingest.DatasetReader;
import io.tiebreak.jobs.results.EpochRow;
import io.tiebreak.jobs.results.RunOutcome;
import io.tiebreak.jobs.results.Status;
import io.tiebreak.runtime.backend.cpu.HostCpu;
import io.tiebreak.runtime.data.ImageData;
import io.tiebreak.runtime.data.InMemoryImages;
import io.tiebreak.runtime.train.EpochMetrics;
import io.tiebreak.runtime.train.RunResult;
import io.tiebreak.runtime.train.StateDigest;
import io.tiebreak.runtime.train.Trainer;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkBuildInfo;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * Trains one run on an executor: opens its device, takes its dataset (loaded once per executor JVM and shared),
 * resumes from its newest checkpoint, trains, and returns what happened. A run that throws is returned as failed
 * with the reason (the sweep goes on); a task Spark kills is not a failure and ends as Spark asked.
 */
public final class RunExecutor {
    private RunExecutor() {}

    /** Subsets (first n samples) of shared splits, per JVM, dropped with their split. */
    private static final Map<InMemoryImages, Map<Integer, InMemoryImages>> SUBSETS =
            Collections.synchronizedMap(new WeakHashMap<>());

    /** Where the task runs and what Spark granted it. */
    public record Placement(int threads, List<String> gpus, String executor, String host) {
        public static Placement ofCurrentTask() {
            TaskContext tc = TaskContext.get();
            int threads = tc == null ? 1 : tc.cpus();
            List<String> gpus = List.of();
            if (tc != null) {
                ResourceInformation gpu = tc.resourcesJMap().get("gpu");
                if (gpu != null) gpus = List.of(gpu.addresses());
            }
            SparkEnv env = SparkEnv.get();
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                host = "unknown";
            }
            return new Placement(threads, gpus, env == null ? "" : env.executorId(), host);
        }
    }

    /**
     * @param onEpoch told after every epoch trained here (restored epochs are not retrained, nor reported)
     */
    public static RunOutcome execute(RunTask task, Configuration conf, Consumer<EpochMetrics> onEpoch) {
        return execute(task, conf, onEpoch, Trainer.StepListener.NONE);
    }

    /** @param onStep told after every training step */
    public static RunOutcome execute(RunTask task, Configuration conf, Consumer<EpochMetrics> onEpoch,
                                     Trainer.StepListener onStep) {
        return execute(task, conf, onEpoch, onStep, Placement.ofCurrentTask(), DeviceChoice.GpuOpener.CUDA);
    }

    static RunOutcome execute(RunTask task, Configuration conf, Consumer<EpochMetrics> onEpoch, Placement placement,
                              DeviceChoice.GpuOpener gpus) {
        return execute(task, conf, onEpoch, Trainer.StepListener.NONE, placement, gpus);
    }

    static RunOutcome execute(RunTask task, Configuration conf, Consumer<EpochMetrics> onEpoch,
                              Trainer.StepListener onStep, Placement placement, DeviceChoice.GpuOpener gpus) {
        long started = System.currentTimeMillis();
        long t0 = System.nanoTime();
        RunSpec spec = task.spec();
        List<EpochRow> seen = new ArrayList<>();
        String device = "";
        String backendInfo = "";
        try {
            DeviceChoice.Opened opened = DeviceChoice.open(spec.device(), spec.reproducibility(), placement.threads(), placement.gpus(), gpus);
            device = opened.description();
            backendInfo = opened.backend().description();
            try (var backend = opened.backend()) {
                ImageData train = data(task.datasetPath(), spec.data().trainSplit(), spec.data().trainSubset(), conf);
                ImageData test = data(task.datasetPath(), spec.data().testSplit(), spec.data().testSubset(), conf);
                HadoopCheckpoints checkpoints = new HadoopCheckpoints(new Path(task.checkpoints()), conf,
                        task.keepAllCheckpoints());
                RunResult r = new Trainer(spec.trainConfig(), backend).run(train, test, checkpoints, m -> {
                    seen.add(EpochRow.of(m));
                    onEpoch.accept(m);
                }, onStep);
                List<EpochRow> epochs = r.epochs().stream().map(EpochRow::of).toList();
                Status status = switch (r.status()) {
                    case COMPLETED -> Status.COMPLETED;
                    case DIVERGED -> Status.DIVERGED;
                    case FAILED -> Status.FAILED;
                };
                int divergedAt = status == Status.DIVERGED ? epochs.get(epochs.size() - 1).epoch() : -1;
                return outcome(task, status, r.reason(), divergedAt, epochs, t0, started, device, backendInfo,
                        placement, r.digest());
            }
        } catch (EpochGate.Stop e) {
            return outcome(task, Status.PRUNED, e.getMessage(), -1, seen, t0, started, device, backendInfo, placement, null);
        } catch (DeviceChoice.Unavailable e) {
            return outcome(task, Status.FAILED, e.getMessage(), -1, seen, t0, started, device, backendInfo, placement, null);
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            TaskContext tc = TaskContext.get();
            if (tc != null && tc.isInterrupted()) throw e instanceof RuntimeException re ? re : new RuntimeException(e);
            return outcome(task, Status.FAILED, reason(e, conf), -1, seen, t0, started, device, backendInfo, placement, null);
        }
    }

    /** A split (or its first n samples), shared by every run of this JVM. */
    public static ImageData data(String dataset, String split, int subset, Configuration conf) throws IOException {
        ImageData full = DatasetReader.open(dataset, split, conf);
        if (subset == 0 || subset >= full.size()) return full;
        if (!(full instanceof InMemoryImages mem)) {
            throw new IllegalArgumentException("a subset of " + split + " needs the split in memory, and "
                    + Redaction.uri(dataset) + " streams it");
        }
        synchronized (SUBSETS) {
            return SUBSETS.computeIfAbsent(mem, k -> new HashMap<>()).computeIfAbsent(subset, mem::head);
        }
    }

    /** The exception and its causes on one line, credentials masked. */
    public static String reason(Throwable e, Configuration conf) {
        StringBuilder sb = new StringBuilder(e.getClass().getSimpleName()).append(": ").append(e.getMessage());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append("; caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
        }
        return Redaction.redact(sb.toString(), conf);
    }

    /** The attempt's outcome; digest is the final state's, null when training did not end (failed, pruned). */
    private static RunOutcome outcome(RunTask task, Status status, String reason, int divergedAt, List<EpochRow> epochs,
                                      long t0, long started, String device, String backend, Placement p,
                                      StateDigest digest) {
        return new RunOutcome(task.grid(), task.spec(), task.attempt(), status, reason, divergedAt, epochs,
                (System.nanoTime() - t0) / 1e9, device, p.executor(), p.host(), started, System.currentTimeMillis(),
                versions(backend), digest);
    }

    static RunOutcome.Versions versions(String backend) {
        String tiebreak = RunExecutor.class.getPackage().getImplementationVersion();
        return new RunOutcome.Versions(tiebreak == null ? "0.1.0-SNAPSHOT" : tiebreak, SparkBuildInfo.spark_version(),
                System.getProperty("java.version"), backend, HostCpu.model());
    }
}
