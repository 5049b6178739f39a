package io.tiebreak.jobs.sweep;

import io.tiebreak.jobs.errors.ExitCodes;
import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.gridjob.GridOptions;
import io.tiebreak.jobs.progress.SweepProgress;
import io.tiebreak.jobs.results.ResultStore;
import java.util.Locale;
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
        if (waveRuns < 1) throw new UserError("--wave-runs must be at least 1");
        Grid g = options.read(GridParser.Purpose.SWEEP);
        SparkSession spark = options.session("sweep", g);
        if (dryRun) {
            return DryRun.print(spark, g, options.results, options.data, options.force, System.out);
        }
        SweepJob.Result r = SweepJob.run(spark, g, new SweepJob.Options(options.results, options.data, options.force,
                options.waveMillis(), waveRuns, SweepProgress.Mode.parse(progress), System.out));
        System.out.println();
        System.out.print(Summary.table(new ResultStore(spark, options.results), g.name(), r.runs()));
        System.out.printf(Locale.ROOT, "%nsweep %s: %d runs, %d skipped as done, ran %s in %s, %d result waves; results in %s%n",
                g.name(), r.planned(), r.skipped(), r.ran(), SweepProgress.duration(r.seconds()), r.waves(), options.results);
        if (r.failed() > 0) {
            System.err.println("error: " + r.failed() + " runs failed (reasons in the runs table: tiebreak sql"
                    + " \"SELECT run_id, reason FROM runs WHERE status = 'failed'\"); re-run the sweep to retry them");
            return ExitCodes.FAILURE;
        }
        return 0;
    }
}
