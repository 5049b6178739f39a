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
     * GPU per task (not in local mode, which has no GPU scheduling: tasks asking for one would wait forever).
     */
    public static Map<String, String> sessionDefaults(Grid g) {
        Map<String, String> d = new LinkedHashMap<>(ResultStore.sessionDefaults());
        if (g.mentions(Device.GPU) && !isLocalMode(new org.apache.spark.SparkConf(true).get("spark.master", "local[*]"))) {
            d.put("spark.executor.resource.gpu.amount", "1");
            d.put("spark.task.resource.gpu.amount", "1");
        }
        return d;
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
