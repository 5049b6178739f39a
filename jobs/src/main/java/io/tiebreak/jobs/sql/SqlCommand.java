package io.tiebreak.jobs.sql;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.TextTable;
import io.tiebreak.jobs.spark.SparkSessions;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.parser.ParseException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tiebreak sql "<query>"}: Spark SQL over the result tables, as the views runs (latest attempt of each run),
 * run_attempts, epochs, lr_trials and zones. Prints an aligned table, or writes CSV or Parquet. Only committed result
 * waves are read, so it is safe to query while a sweep is writing.
 */
@Command(name = "sql", mixinStandardHelpOptions = true,
        description = {"Runs Spark SQL over the results: views runs, run_attempts, epochs, lr_trials, zones.",
            "Example: tiebreak sql \"SELECT precision, pool, avg(final_test_accuracy) FROM runs GROUP BY 1, 2\""})
public final class SqlCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "QUERY", description = "A Spark SQL query")
    String query;

    @Option(names = "--results", defaultValue = "results", description = "Results folder (default: ${DEFAULT-VALUE})")
    String results;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write the rows to this CSV file (with a header)")
    String csv;

    @Option(names = "--parquet", paramLabel = "DIR", description = "Write the rows as Parquet into this new folder")
    String parquet;

    @Option(names = "--max-rows", defaultValue = "100", description = "Rows printed at most (default: ${DEFAULT-VALUE})")
    int maxRows;

    @Override
    public Integer call() throws IOException {
        if (csv != null && parquet != null) throw new UserError("give --csv or --parquet, not both");
        SparkSession spark = SparkSessions.getOrCreate("tiebreak sql", ResultStore.sessionDefaults());
        run(spark, new ResultStore(spark, results), query, csv, parquet, maxRows, System.out);
        return 0;
    }

    /** Runs the query and prints or writes its rows; bad SQL is a user error naming what is wrong. */
    public static void run(SparkSession spark, ResultStore store, String query, String csv, String parquet, int maxRows,
                           PrintStream out) throws IOException {
        List<String> views = store.registerViews();
        Dataset<Row> df;
        try {
            df = spark.sql(query);
            df.schema();
        } catch (Exception e) {
            // Spark's Scala API declares no checked exceptions: recognize bad SQL by type.
            if (e instanceof ParseException) throw new UserError("not valid SQL: " + firstLine(e.getMessage()));
            if (e instanceof AnalysisException) {
                throw new UserError(firstLine(e.getMessage()) + " (views: " + String.join(", ", views) + ")");
            }
            throw e;
        }
        if (parquet != null) {
            df.write().mode(SaveMode.ErrorIfExists).parquet(parquet);
            out.printf("wrote %d rows to %s%n", spark.read().parquet(parquet).count(), parquet);
        } else if (csv != null) {
            out.printf("wrote %d rows to %s%n", writeCsv(df, csv, spark), csv);
        } else {
            List<Row> rows = df.limit(maxRows + 1).collectAsList();
            boolean more = rows.size() > maxRows;
            if (more) rows = rows.subList(0, maxRows);
            out.print(TextTable.of(df.schema(), rows));
            out.printf(more ? "(first %d rows; more with --max-rows, or all with --csv)%n" : "(%d rows)%n", rows.size());
        }
    }

    private static long writeCsv(Dataset<Row> df, String file, SparkSession spark) throws IOException {
        var conf = spark.sparkContext().hadoopConfiguration();
        long n = 0;
        try (Writer w = new OutputStreamWriter(HadoopFs.create(HadoopFs.path(file), conf, false), StandardCharsets.UTF_8)) {
            List<String> header = new ArrayList<>(List.of(df.schema().fieldNames()));
            w.write(csvLine(header));
            for (Iterator<Row> it = df.toLocalIterator(); it.hasNext(); n++) {
                Row r = it.next();
                List<String> cells = new ArrayList<>();
                for (int i = 0; i < r.length(); i++) cells.add(r.isNullAt(i) ? "" : csvValue(r.get(i)));
                w.write(csvLine(cells));
            }
        }
        return n;
    }

    private static String csvValue(Object v) {
        if (v instanceof scala.collection.Seq || v instanceof List) return TextTable.cell(v);
        return v.toString();
    }

    static String csvLine(List<String> cells) {
        List<String> quoted = new ArrayList<>();
        for (String c : cells) {
            boolean q = c.contains(",") || c.contains("\"") || c.contains("\n") || c.contains("\r");
            quoted.add(q ? "\"" + c.replace("\"", "\"\"") + "\"" : c);
        }
        return String.join(",", quoted) + "\n";
    }

    /** The first non-blank line of a message (Spark's go on with the plan or a caret under the query). */
    private static String firstLine(String s) {
        if (s == null) return "";
        for (String line : s.split("\n")) if (!line.isBlank()) return line.trim();
        return "";
    }
}
