package io.tiebreak.jobs.gridjob;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.grid.Device;
import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.results.ResultStore;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** What the Spark session of a grid command (sweep, lr-search, zones) must be: its settings, and GPU scheduling. */
public final class GridSessions {
    private GridSessions() {}

    /**
     * Settings the session needs from its start: FAIR scheduling, so result writes take the next free task slot
     * ahead of queued training tasks ({@link ResultStore#sessionDefaults}); and, for a grid with device: gpu, one
     * GPU per task (not in local mode, which has no GPU scheduling: tasks asking for one would wait forever); in local mode,
     * as many CPUs per task as the grid's largest devices_per_run.
     */
    public static Map<String, String> sessionDefaults(Grid g) {
        Map<String, String> d = new LinkedHashMap<>(ResultStore.sessionDefaults());
        org.apache.spark.SparkConf conf = new org.apache.spark.SparkConf(true);
        String master = conf.get("spark.master", "local[*]");
        if (g.mentions(Device.GPU) && !isLocalMode(master)) {
            d.put("spark.executor.resource.gpu.amount", "1");
            d.put("spark.task.resource.gpu.amount", "1");
        }
        // Runs on several devices: clusters reserve them per task (TaskResources); local mode has no per-task
        // profiles, so every task reserves the largest devices_per_run in CPUs, where the local master has them.
        int devices = g.maxDevicesPerRun();
        if (devices > 1 && isLocalMode(master) && !conf.contains("spark.task.cpus") && localCores(master) >= devices) {
            d.put("spark.task.cpus", Integer.toString(devices));
        }
        return d;
    }

    /** Cores of a local master: local (1), local[N], local[N,F], local[*] (every core). */
    static int localCores(String master) {
        if (!master.startsWith("local[")) return 1;
        String n = master.substring(6, master.length() - 1).split(",")[0].trim();
        return n.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(n);
    }

    /** local, local[N], local[*]: one JVM, where Spark schedules no GPUs (local-cluster[...] is a real cluster). */
    static boolean isLocalMode(String master) {
        return master.equals("local") || master.startsWith("local[");
    }

    /** A job whose tasks may ask for device: gpu needs Spark to hand GPUs to tasks; say how before anything starts. */
    public static void requireGpuScheduling(SparkSession spark, boolean wantsGpu) {
        if (!wantsGpu) return;
        var conf = spark.sparkContext().getConf();
        if (isLocalMode(spark.sparkContext().master())) {
            throw new UserError("the grid has runs with device: gpu, but Spark's local mode schedules no"
                    + " GPUs: run on a cluster whose executors have GPUs (a one-machine standalone cluster will do; see"
                    + " docs/sweep.md), or use device: auto, which trains on the CPU here");
        }
        if (!conf.contains("spark.task.resource.gpu.amount")) {
            throw new UserError("the grid has runs with device: gpu, but Spark schedules no GPUs: set"
                    + " spark.executor.resource.gpu.amount and spark.task.resource.gpu.amount (and a discovery script"
                    + " where the cluster manager needs one; see docs/sweep.md), or use device: auto");
        }
    }
}
