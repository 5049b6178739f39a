package io.tiebreak.jobs.results;

import io.tiebreak.jobs.spark.SparkSessions;
import io.tiebreak.jobs.errors.ExitCodes;
import io.tiebreak.jobs.errors.UserError;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tiebreak compact}: maintenance of the result tables (Iceberg's rewrite_data_files and expire_snapshots). */
@Command(name = "compact", mixinStandardHelpOptions = true,
        description = {"Rewrites the result tables' small files (one per result wave) into large ones, expires old"
                + " snapshots and deletes files of writes that died; imports results of the older layout.",
            "Run it while no sweep, lr-search or zones job writes to the same results (writing jobs also compact a"
                + " table themselves once it has more than 64 files).",
            "Example: tiebreak compact --results work/results --keep-days 1"})
public final class CompactCommand implements Callable<Integer> {
    @Option(names = "--results", defaultValue = "results", description = "Results folder (default: ${DEFAULT-VALUE})")
    String results;

    @Option(names = "--keep-days", defaultValue = "7",
            description = "Keep snapshots younger than this many days (time travel; default: ${DEFAULT-VALUE})")
    double keepDays;

    @Option(names = "--keep-snapshots", defaultValue = "20",
            description = "...and always the newest this many per table (default: ${DEFAULT-VALUE})")
    int keepSnapshots;

    @Override
    public Integer call() {
        if (!(keepDays >= 0)) throw new UserError("--keep-days must be 0 or more, not " + keepDays);
        if (keepSnapshots < 1) throw new UserError("--keep-snapshots must be at least 1");
        SparkSession spark = SparkSessions.forQueries("tiebreak compact", ResultStore.sessionDefaults());
        List<ResultStore.Compaction> done = new ResultStore(spark, results)
                .compact((long) (keepDays * TimeUnit.DAYS.toMillis(1)), keepSnapshots);
        if (done.isEmpty()) {
            System.out.println("no result tables in " + results);
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        for (ResultStore.Compaction c : done) {
            rows.add(List.of(c.table(), Integer.toString(c.filesRewritten()), Integer.toString(c.filesAdded()),
                    Integer.toString(c.snapshotsExpired()), Integer.toString(c.orphanFilesDeleted())));
        }
        System.out.print(TextTable.of(List.of("table", "files_rewritten", "files_written", "snapshots_expired",
                "orphan_files_deleted"), rows));
        return 0;
    }
}
