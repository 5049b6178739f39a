package io.tiebreak.jobs.sql;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.TextTable;
import io.tiebreak.jobs.spark.SparkSessions;
import io.tiebreak.jobs.stats.Effects;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.parser.ParseException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tiebreak sql}: Spark SQL over the result tables, as the views runs (latest attempt of each run),
 * run_attempts, epochs, lr_trials and zones, and the derived view effects (per setting, the final accuracy's
 * statistics per MaxPool Jacobian and their tests: {@link Effects}), in one Spark session for any number of statements: given as arguments,
 * in a file ({@code -f}), or typed at a prompt. Prints aligned tables, or writes one query's rows as CSV or as one
 * Parquet file. Only committed snapshots of the Iceberg tables are read, so it is safe to query while a sweep writes.
 */
@Command(name = "sql", mixinStandardHelpOptions = true,
        description = {"Runs Spark SQL over the results: views runs, run_attempts, epochs, lr_trials, zones, and effects"
                + " (per setting and MaxPool Jacobian: final accuracy count/mean/std/min/max, ANOVA across Jacobians,"
                + " Spearman of log10(1+B) and accuracy; Spark MLlib).",
            "Statements end with ';'. With no QUERY and no -f, reads statements at a prompt (or from standard input).",
            "Examples:",
            "  tiebreak sql --results work/results \"SELECT precision, pool, avg(final_test_accuracy) FROM runs GROUP BY 1, 2\"",
            "  tiebreak sql --results work/results -f queries.sql",
            "  tiebreak sql --results work/results \"SELECT * FROM epochs\" --csv epochs.csv"})
public final class SqlCommand implements Callable<Integer> {
    @Parameters(paramLabel = "QUERY", arity = "0..*", description = "Spark SQL statements (several per argument, ';'-separated)")
    List<String> queries = new ArrayList<>();

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read statements from this file ('-': standard input)")
    List<String> files = new ArrayList<>();

    @Option(names = "--results", defaultValue = "results", description = "Results folder (default: ${DEFAULT-VALUE})")
    String results;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write the rows to this CSV file (with a header); one statement")
    String csv;

    @Option(names = "--parquet", paramLabel = "FILE", description = "Write the rows as one Parquet file; one statement")
    String parquet;

    @Option(names = "--max-rows", defaultValue = "100", description = "Rows printed at most (default: ${DEFAULT-VALUE})")
    int maxRows;

    @Option(names = "--width", defaultValue = "48",
            description = "Cut printed cells at this many characters, 0 for never (default: ${DEFAULT-VALUE})")
    int width;

    @Override
    public Integer call() throws IOException {
        if (csv != null && parquet != null) throw new UserError("give --csv or --parquet, not both");
        if (width < 0) throw new UserError("--width must be 0 (never cut) or more, not " + width);
        List<String> statements = new ArrayList<>();
        for (String q : queries) statements.addAll(Statements.split(q));
        for (String f : files) {
            String text = f.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(f));
            statements.addAll(Statements.split(text));
        }
        boolean prompt = queries.isEmpty() && files.isEmpty();
        if ((csv != null || parquet != null) && (prompt || statements.size() != 1)) {
            throw new UserError("--csv and --parquet write the rows of one statement; "
                    + (prompt ? "give it as QUERY" : "got " + statements.size()));
        }
        if (!prompt && statements.isEmpty()) throw new UserError("no SQL statement given");
        SparkSession spark = SparkSessions.forQueries("tiebreak sql", ResultStore.sessionDefaults());
        ResultStore store = new ResultStore(spark, results);
        if (prompt) return Statements.interactive(System.in, System.out, System.console() != null,
                statement -> run(spark, store, statement, null, null, maxRows, width, System.out));
        for (int i = 0; i < statements.size(); i++) {
            if (statements.size() > 1) System.out.printf("%n-- statement %d: %s%n", i + 1, Statements.oneLine(statements.get(i)));
            run(spark, store, statements.get(i), csv, parquet, maxRows, width, System.out);
        }
        return 0;
    }

    public static void run(SparkSession spark, ResultStore store, String query, String csv, String parquet, int maxRows,
                           PrintStream out) throws IOException {
        run(spark, store, query, csv, parquet, maxRows, TextTable.MAX_CELL, out);
    }

    /** Runs the query and prints or writes its rows; bad SQL is a user error naming what is wrong. */
    public static void run(SparkSession spark, ResultStore store, String query, String csv, String parquet, int maxRows,
                           int width, PrintStream out) throws IOException {
        List<String> views = new ArrayList<>(store.registerViews());
        views.add(Effects.VIEW);
        Dataset<Row> df;
        try {
            df = analyzed(spark, query);
        } catch (Exception e) {
            // Spark's Scala API declares no checked exceptions: recognize bad SQL by type.
            if (e instanceof ParseException) throw new UserError("not valid SQL: " + firstLine(e.getMessage()));
            if (e instanceof AnalysisException) {
                throw new UserError(firstLine(e.getMessage()) + " (views: " + String.join(", ", views) + ")");
            }
            throw e;
        }
        if (parquet != null) {
            out.printf("wrote %d rows to %s%n", writeParquetFile(df, parquet, spark), parquet);
        } else if (csv != null) {
            out.printf("wrote %d rows to %s%n", writeCsv(df, csv, spark), csv);
        } else {
            List<Row> rows = df.limit(maxRows + 1).collectAsList();
            boolean more = rows.size() > maxRows;
            if (more) rows = rows.subList(0, maxRows);
            out.print(TextTable.of(df.schema(), rows, width));
            out.printf(more ? "(first %d rows; more with --max-rows, or all with --csv)%n" : "(%d rows)%n", rows.size());
        }
    }

    /**
     * Writes the rows as exactly one Parquet file (what pandas, DuckDB or R open directly): one Spark write of one
     * partition into a folder beside the target, whose data file is then moved to the target's name.
     */
    static long writeParquetFile(Dataset<Row> df, String file, SparkSession spark) throws IOException {
        var conf = spark.sparkContext().hadoopConfiguration();
        org.apache.hadoop.fs.Path target = HadoopFs.path(file);
        if (HadoopFs.exists(target, conf)) throw new UserError(file + " already exists");
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(target.getParent() == null
                ? new org.apache.hadoop.fs.Path(".") : target.getParent(), "." + target.getName() + ".tmp-" + java.util.UUID.randomUUID());
        try {
            df.coalesce(1).write().parquet(tmp.toString());
            org.apache.hadoop.fs.Path part = null;
            for (var st : HadoopFs.children(tmp, conf)) {
                if (st.getPath().getName().endsWith(".parquet")) part = st.getPath();
            }
            if (part == null) throw new IOException("Spark wrote no Parquet file under " + tmp);
            if (!HadoopFs.fs(target, conf).rename(part, target)) throw new IOException("cannot move " + part + " to " + file);
            // the local file system keeps a checksum beside each file: not wanted beside an export
            HadoopFs.deleteQuietly(new org.apache.hadoop.fs.Path(target.getParent(), "." + target.getName() + ".crc"), conf);
            return spark.read().parquet(target.toString()).count();
        } finally {
            HadoopFs.deleteQuietly(tmp, conf);
        }
    }

    /**
     * The analyzed query. The effects view runs a few MLlib jobs per setting, so it is computed only for a query that
     * reads it: when Spark reports it missing, it is registered and the query analyzed again.
     */
    private static Dataset<Row> analyzed(SparkSession spark, String query) {
        try {
            Dataset<Row> df = spark.sql(query);
            df.schema();
            return df;
        } catch (Exception e) {
            if (!(e instanceof AnalysisException a) || !missesEffects(a)) throw e;
            Effects.register(spark);
            Dataset<Row> df = spark.sql(query);
            df.schema();
            return df;
        }
    }

    private static boolean missesEffects(AnalysisException e) {
        String relation = e.getMessageParameters().getOrDefault("relationName", "");
        return "TABLE_OR_VIEW_NOT_FOUND".equals(e.getCondition())
                && relation.replace("`", "").equalsIgnoreCase(Effects.VIEW);
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
        if (v instanceof scala.collection.Seq || v instanceof List) return TextTable.cell(v, 0);
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
