package io.tiebreak.jobs.zones;

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

/** {@code tiebreak zones <grid>}: classify minibatches into zones for each configuration of a grid. */
@Command(name = "zones", mixinStandardHelpOptions = true,
        description = {"For each configuration of a zones grid, compares the gradients of two MaxPool Jacobians"
                + " minibatch by minibatch and classifies each minibatch as agree, bifurcation or compensation"
                + " (docs/design.md, \"Zones\"); one row per minibatch in the zones table.",
            "Minibatches are measured in ranges, one Spark task each; re-running measures only what is missing.",
            "A zones grid has a sweep grid's axes plus policies ([first, min-norm] by default), weights (init, or"
                    + " checkpoint epochs of the sweep run the axes describe) and minibatches (a number or all).",
            "Example (Fashion-MNIST ingested as in the README's quickstart; LeNet-5 at 16, 32 and 64 bits):",
            "  tiebreak zones conf/zones/quickstart.yaml --data work/data --results work/results",
            "  tiebreak sql --results work/results \"SELECT bits, zone, count(*) AS n FROM zones GROUP BY 1, 2 ORDER BY 1, 2\""})
public final class ZonesCommand implements Callable<Integer> {
    @Mixin
    GridOptions options;

    @Option(names = "--dry-run", description = "Check the grid and list its configurations; measure nothing")
    boolean dryRun;

    @Option(names = "--minibatches-per-task", defaultValue = "16",
            description = "Largest range of minibatches one task measures (default: ${DEFAULT-VALUE})")
    int minibatchesPerTask;

    @Option(names = "--wave-tasks", defaultValue = "64",
            description = "...or as soon as this many tasks' rows are waiting (default: ${DEFAULT-VALUE})")
    int waveTasks;

    @Override
    public Integer call() throws Exception {
        if (waveTasks < 1) throw new UserError("--wave-tasks must be at least 1");
        if (minibatchesPerTask < 1) throw new UserError("--minibatches-per-task must be at least 1");
        Grid g = options.read(GridParser.Purpose.ZONES);
        SparkSession spark = options.session("zones", g);
        if (dryRun) {
            var plan = ZonesJob.plan(spark, g, options.results, options.data, options.force);
            System.out.print(ZoneSummary.table(new ResultStore(spark, options.results), plan));
            System.out.printf("%s: %d configurations, %d minibatches; the grid is valid%n", g.name(),
                    plan.configs().size(), plan.minibatches());
            return 0;
        }
        ZonesJob.Result r = ZonesJob.run(spark, g, new ZonesJob.Options(options.results, options.data, options.force,
                minibatchesPerTask, options.waveMillis(), waveTasks, System.out));
        System.out.println();
        System.out.print(ZoneSummary.table(new ResultStore(spark, options.results), r.plan()));
        System.out.printf(Locale.ROOT, "%nzones %s: %d configurations, %d minibatches, %d done before, measured %d in %s"
                        + " (%d tasks, %d result waves); results in %s%n", g.name(), r.configurations(), r.planned(),
                r.skipped(), r.measured(), SweepProgress.duration(r.seconds()), r.tasks(), r.waves(), options.results);
        return 0;
    }
}
