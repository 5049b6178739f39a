package io.tiebreak.jobs.gridjob;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.fs.S3ACommitters;
import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.spark.SparkSessions;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What every grid command (sweep, lr-search, zones) takes: the grid, its overrides, where data and results live. */
public final class GridOptions {
    @Parameters(index = "0", paramLabel = "GRID", description = "The grid file (YAML): local, hdfs:// or s3a://")
    public String grid;

    @Option(names = "--results", defaultValue = "results",
            description = "Results folder, also where sweep checkpoints live: local, hdfs:// or s3a:// (default: ${DEFAULT-VALUE})")
    public String results;

    @Option(names = "--data", defaultValue = "data",
            description = "Folder of ingested datasets, one per name (default: ${DEFAULT-VALUE})")
    public String data;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Replace a top-level key of the grid (value in YAML), e.g. --set epochs=1; repeatable")
    public List<String> sets = new ArrayList<>();

    @Option(names = "--force", description = "Run a grid over its max_runs limit")
    public boolean force;

    @Option(names = "--wave-seconds", defaultValue = "60",
            description = "Commit finished results at least this often (default: ${DEFAULT-VALUE})")
    public double waveSeconds;

    /** The grid file with the --set overrides, checked for the given command. */
    public Grid read(GridParser.Purpose purpose) throws java.io.IOException {
        return GridFiles.read(grid, sets, purpose);
    }

    public long waveMillis() {
        if (!(waveSeconds > 0)) throw new UserError("--wave-seconds must be positive, not " + waveSeconds);
        return (long) (waveSeconds * 1000);
    }

    /** The Spark session for a grid command, with the S3A committer set up for the results folder. */
    public SparkSession session(String command, Grid g) throws java.io.IOException {
        SparkSession spark = SparkSessions.forJob("tiebreak " + command + " " + g.name(), GridSessions.sessionDefaults(g));
        S3ACommitters.configureFor(spark, new ResultStore(spark, results).root());
        return spark;
    }
}
