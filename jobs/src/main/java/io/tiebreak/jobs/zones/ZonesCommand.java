package io.tiebreak.jobs.zones;

import io.tiebreak.jobs.fs.S3ACommitters;
import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.spark.SparkSessions;
import io.tiebreak.jobs.sweep.GridFiles;
import io.tiebreak.jobs.sweep.SweepCommand;
import io.tiebreak.jobs.progress.SweepProgress;
import io.tiebreak.runtime.cli.CliErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tiebreak zones <grid>}: classify minibatches into zones for each configuration of a grid. */
@Command(name = "zones", mixinStandardHelpOptions = true,
        description = {"For each configuration of a zones grid, compares the gradients of two MaxPool Jacobians"
                + " minibatch by minibatch and classifies each minibatch as agree, bifurcation or compensation"
                + " (DESIGN.md, \"Zones\"); one row per minibatch in the zones table.",
            "Minibatches are measured in ranges, one Spark task each; re-running measures only what is missing.",
            "A zones grid has a sweep grid's axes plus policies ([first, min-norm] by default), weights (init, or"
                    + " checkpoint epochs of the sweep run the axes describe) and minibatches (a number or all)."})
public final class ZonesCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "GRID", description = "The zones grid (YAML), e.g. conf/zones/precision.yaml")
    String grid;

    @Option(names = "--results", defaultValue = "results",
            description = "Results folder, also where sweep checkpoints are read: local, hdfs:// or s3a://"
                    + " (default: ${DEFAULT-VALUE})")
    String results;

    @Option(names = "--data", defaultValue = "data",
            description = "Folder of ingested datasets, one per name (default: ${DEFAULT-VALUE})")
    String data;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Replace a top-level key of the grid (value in YAML), e.g. --set minibatches=20; repeatable")
    List<String> sets = new ArrayList<>();

    @Option(names = "--force", description = "Run a grid over its max_runs limit")
    boolean force;

    @Option(names = "--dry-run", description = "Check the grid and list its configurations; measure nothing")
    boolean dryRun;

    @Option(names = "--minibatches-per-task", defaultValue = "16",
            description = "Largest range of minibatches one task measures (default: ${DEFAULT-VALUE})")
    int minibatchesPerTask;

    @Option(names = "--wave-seconds", defaultValue = "60",
            description = "Commit measured minibatches at least this often (default: ${DEFAULT-VALUE})")
    double waveSeconds;

    @Option(names = "--wave-tasks", defaultValue = "64",
            description = "...or as soon as this many tasks' rows are waiting (default: ${DEFAULT-VALUE})")
    int waveTasks;

    @Override
    public Integer call() throws Exception {
        if (waveSeconds <= 0 || waveTasks < 1) throw new CliErrors.UserError("--wave-seconds and --wave-tasks must be positive");
        if (minibatchesPerTask < 1) throw new CliErrors.UserError("--minibatches-per-task must be at least 1");
        Grid g = GridFiles.read(grid, sets, GridParser.Purpose.ZONES);
        SparkSession spark = SparkSessions.getOrCreate("tiebreak zones " + g.name(), SweepCommand.sessionDefaults(g));
        S3ACommitters.configureFor(spark, new ResultStore(spark, results).root());
        if (dryRun) {
            var plan = ZonesJob.plan(spark, g, results, data, force);
            System.out.print(ZoneSummary.table(new ResultStore(spark, results), plan));
            System.out.printf("%s: %d configurations, %d minibatches; the grid is valid%n", g.name(),
                    plan.configs().size(), plan.minibatches());
            return 0;
        }
        ZonesJob.Result r = ZonesJob.run(spark, g, new ZonesJob.Options(results, data, force, minibatchesPerTask,
                (long) (waveSeconds * 1000), waveTasks, System.out));
        System.out.printf(Locale.ROOT, "%nzones %s: %d configurations, %d minibatches, %d done before, measured %d in %s"
                        + " (%d tasks, %d result waves); results in %s%n", g.name(), r.configurations(), r.planned(),
                r.skipped(), r.measured(), SweepProgress.duration(r.seconds()), r.tasks(), r.waves(), results);
        return 0;
    }
}
