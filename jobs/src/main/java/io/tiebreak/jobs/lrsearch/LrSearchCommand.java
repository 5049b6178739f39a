package io.tiebreak.jobs.lrsearch;

import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.gridjob.GridOptions;
import io.tiebreak.jobs.progress.SweepProgress;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tiebreak lr-search <grid>}: learning-rate search per configuration, results in lr_trials. */
@Command(name = "lr-search", mixinStandardHelpOptions = true,
        description = {"Searches a learning rate for every configuration of a grid (trials drawn log-uniformly or by"
                + " TPE, median pruning), writing lr_trials; grids with lr: best then use the best trial's lr.",
            "The grid's lr_search section sets trials, low, high, sampler, pruner, epochs, seed; the grid says"
                + " lr: best, or no lr at all.",
            "Example (Fashion-MNIST ingested as in the README's quickstart):",
            "  tiebreak lr-search conf/quickstart-lr.yaml --data work/data --results work/results",
            "  tiebreak sweep conf/quickstart-lr.yaml --data work/data --results work/results   # lr: best uses it"})
public final class LrSearchCommand implements Callable<Integer> {
    @Mixin
    GridOptions options;

    @Option(names = "--dry-run", description = "Check the grid and list its configurations with their trials so far; train nothing")
    boolean dryRun;

    @Option(names = "--progress", defaultValue = "auto", description = "bar, log, none or auto (default: ${DEFAULT-VALUE})")
    String progress;

    @Override
    public Integer call() throws Exception {
        Grid g = options.read(GridParser.Purpose.LR_SEARCH);
        SparkSession spark = options.session("lr-search", g);
        LrSearchJob.Options o = new LrSearchJob.Options(options.results, options.data, options.force,
                options.waveMillis(), SweepProgress.Mode.parse(progress), System.out);
        return dryRun ? LrSearchJob.dryRun(spark, g, o) : LrSearchJob.run(spark, g, o);
    }
}
