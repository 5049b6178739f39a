package io.tiebreak.jobs.sweep;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.stddev_samp;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.TextTable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The table printed at the end of a sweep: one line per configuration (repeats grouped), showing only the axes that
 * vary in the grid, with how many runs completed, diverged or failed and the final test accuracy (mean, std over
 * repeats). Read back from the committed runs table, so it shows what a query would.
 */
public final class Summary {
    private Summary() {}

    /** Configurations printed at most; a grid of hundreds is better read with SQL. */
    static final int MAX_ROWS = 60;

    public static String table(ResultStore store, String grid, List<RunSpec> runs) {
        Set<String> ids = new HashSet<>();
        for (RunSpec r : runs) ids.add(r.runId());
        List<String> keys = RunSpec.varyingColumns(runs);
        List<String> needed = new ArrayList<>(keys);
        needed.addAll(List.of("status", "final_test_accuracy", "epochs_done"));
        Dataset<Row> latest = store.latestRuns(needed).filter(col("run_id").isin(ids.toArray()));
        List<Column> groups = new ArrayList<>();
        for (String k : keys) groups.add(col(k));
        if (groups.isEmpty()) groups.add(lit(grid).as("grid"));
        Column completed = col("status").equalTo("completed");
        Dataset<Row> summary = latest.groupBy(groups.toArray(new Column[0])).agg(
                count(lit(1)).as("runs"),
                sum(when(completed, 1).otherwise(0)).as("completed"),
                sum(when(col("status").equalTo("diverged"), 1).otherwise(0)).as("diverged"),
                sum(when(col("status").equalTo("failed"), 1).otherwise(0)).as("failed"),
                round(avg(when(col("status").notEqual("failed"), col("final_test_accuracy"))), 4).as("test_acc_mean"),
                round(stddev_samp(when(col("status").notEqual("failed"), col("final_test_accuracy"))), 4)
                        .as("test_acc_std"),
                max("epochs_done").as("epochs"));
        Column[] order = keys.stream().map(k -> col(k)).toArray(Column[]::new);
        if (order.length > 0) summary = summary.orderBy(order);
        List<Row> rows = summary.limit(MAX_ROWS + 1).collectAsList();
        if (rows.size() <= MAX_ROWS) return TextTable.of(summary.schema(), rows);
        return TextTable.of(summary.schema(), rows.subList(0, MAX_ROWS)) + "... and more configurations: tiebreak sql"
                + " \"SELECT ... FROM runs\" shows them all\n";
    }
}
