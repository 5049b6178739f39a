package io.tiebreak.jobs.sweep;

import io.tiebreak.jobs.grid.Device;
import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.progress.SweepProgress;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.runtime.cli.CliErrors;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tiebreak sweep <grid>}: train every run of a grid, results to Parquet. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Trains every run of a grid (one Spark task per run) and writes the runs and epochs tables.",
            "Re-running skips completed runs, retries failed ones and resumes interrupted ones from their checkpoint.",
            "Results are committed in waves while the sweep runs: query them any time with tiebreak sql.",
            "Example (Fashion-MNIST ingested as in the README's quickstart):",
            "  tiebreak sweep conf/quickstart.yaml --data work/data --results work/results"})
public final class SweepCommand implements Callable<Integer> {
    @Mixin
    GridOptions options;

    @Option(names = "--dry-run", description = "Check the grid and print its runs; train nothing")
    boolean dryRun;

    @Option(names = "--wave-runs", defaultValue = "64",
            description = "...or as soon as this many are waiting (default: ${DEFAULT-VALUE})")
    int waveRuns;

    @Option(names = "--progress", defaultValue = "auto",
            description = "bar, log, none or auto (bar on a terminal, log otherwise; default: ${DEFAULT-VALUE})")
    String progress;

    @Override
    public Integer call() throws Exception {
        if (waveRuns < 1) throw new CliErrors.UserError("--wave-runs must be at least 1");
        Grid g = options.read(GridParser.Purpose.SWEEP);
        SparkSession spark = options.session("sweep", g);
        if (dryRun) {
            return DryRun.print(spark, g, options.results, options.data, options.force, System.out);
        }
        SweepJob.Result r = SweepJob.run(spark, g, new SweepJob.Options(options.results, options.data, options.force,
                options.waveMillis(), waveRuns, mode(progress), System.out));
        System.out.printf(Locale.ROOT, "%nsweep %s: %d runs, %d skipped as done, ran %s in %s, %d result waves; results in %s%n",
                g.name(), r.planned(), r.skipped(), r.ran(), SweepProgress.duration(r.seconds()), r.waves(), options.results);
        if (r.failed() > 0) {
            System.err.println("error: " + r.failed() + " runs failed (reasons in the runs table: tiebreak sql"
                    + " \"SELECT run_id, reason FROM runs WHERE status = 'failed'\"); re-run the sweep to retry them");
            return CliErrors.FAILURE;
        }
        return 0;
    }

    /**
     * Settings the session needs from its start: those of every results session ({@link ResultStore#sessionDefaults});
     * and, for a grid with device: gpu, one
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

    public static SweepProgress.Mode mode(String s) {
        switch (s.toLowerCase(Locale.ROOT)) {
            case "auto": return SweepProgress.detect();
            case "bar": return SweepProgress.Mode.BAR;
            case "log": return SweepProgress.Mode.LOG;
            case "none": return SweepProgress.Mode.NONE;
            default: throw new CliErrors.UserError("--progress must be bar, log, none or auto, not '" + s + "'");
        }
    }
}
