package io.tiebreak.jobs.lrsearch;

import io.tiebreak.jobs.fs.S3ACommitters;
import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.spark.SparkSessions;
import io.tiebreak.jobs.sweep.GridFiles;
import io.tiebreak.jobs.sweep.SweepCommand;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tiebreak lr-search <grid>}: learning-rate search per configuration, results in lr_trials. */
@Command(name = "lr-search", mixinStandardHelpOptions = true,
        description = {"Searches a learning rate for every configuration of a grid (trials drawn log-uniformly or by"
                + " TPE, median pruning), writing lr_trials; grids with lr: best then use the best trial's lr.",
            "The grid's lr_search section sets trials, low, high, sampler, pruner, epochs, seed."})
public final class LrSearchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "GRID", description = "The grid file (YAML), without lr")
    String grid;

    @Option(names = "--results", defaultValue = "results", description = "Results folder (default: ${DEFAULT-VALUE})")
    String results;

    @Option(names = "--data", defaultValue = "data", description = "Folder of ingested datasets (default: ${DEFAULT-VALUE})")
    String data;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Replace a top-level key of the grid; repeatable")
    List<String> sets = new ArrayList<>();

    @Option(names = "--force", description = "Run a grid over its max_runs limit")
    boolean force;

    @Option(names = "--wave-seconds", defaultValue = "60", description = "Commit trials at least this often (default: ${DEFAULT-VALUE})")
    double waveSeconds;

    @Option(names = "--progress", defaultValue = "auto", description = "bar, log, none or auto (default: ${DEFAULT-VALUE})")
    String progress;

    @Override
    public Integer call() throws Exception {
        Grid g = GridFiles.read(grid, sets, GridParser.Purpose.LR_SEARCH);
        SparkSession spark = SparkSessions.getOrCreate("tiebreak lr-search " + g.name(), SweepCommand.sessionDefaults(g));
        S3ACommitters.configureFor(spark, new ResultStore(spark, results).root());
        return LrSearchJob.run(spark, g, new LrSearchJob.Options(results, data, force, (long) (waveSeconds * 1000),
                SweepCommand.mode(progress), System.out));
    }
}
