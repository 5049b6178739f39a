package io.tiebreak.jobs.gridjob;

import io.tiebreak.jobs.grid.Device;
import io.tiebreak.jobs.grid.RunSpec;
import java.util.Optional;
import org.apache.spark.SparkContext;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.ResourceProfileBuilder;
import org.apache.spark.resource.TaskResourceRequests;

/**
 * What a run's task reserves beyond the session's defaults: a run on devices_per_run D devices (docs/design.md,
 * "Data parallelism") takes D CPUs (device cpu, or auto where Spark schedules no GPUs) or D GPUs, through Spark's
 * stage-level scheduling (a task resource profile; Spark supports it on standalone, YARN and Kubernetes clusters with
 * dynamic allocation off). Local mode has no task resource profiles: there the session reserves the grid's largest
 * D CPUs per task ({@link GridSessions#sessionDefaults}).
 *
 * @param cpus CPUs per task, 0 for the session's default
 * @param gpus GPUs per task, 0 for the session's default
 */
record TaskResources(int cpus, int gpus) {
    static final TaskResources DEFAULT = new TaskResources(0, 0);

    static TaskResources of(RunSpec spec, SparkContext sc) {
        int d = spec.devicesPerRun();
        if (d == 1 || GridSessions.isLocalMode(sc.master())) return DEFAULT;
        boolean gpu = spec.device() == Device.GPU
                || spec.device() == Device.AUTO && sc.getConf().contains("spark.task.resource.gpu.amount");
        return gpu ? new TaskResources(0, d) : new TaskResources(d, 0);
    }

    /** The task resource profile, or empty for the session's default one. */
    Optional<ResourceProfile> profile() {
        if (this.equals(DEFAULT)) return Optional.empty();
        TaskResourceRequests r = new TaskResourceRequests();
        if (cpus > 0) r.cpus(cpus);
        if (gpus > 0) r.resource("gpu", gpus);
        return Optional.of(new ResourceProfileBuilder().require(r).build());
    }
}
