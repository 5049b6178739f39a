package io.tiebreak.jobs.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.ExitCodes;
import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.ResultStoreTest;
import io.tiebreak.jobs.results.Status;
import io.tiebreak.jobs.results.WaveCommitter;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.jobs.testing.Specs;
import io.tiebreak.jobs.testing.TiebreakCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqlCommandTest {
    private final SparkSession spark = LocalSpark.session();

    private ResultStore storeWithTwoRuns(Path dir) {
        ResultStore store = new ResultStore(spark, dir.toString());
        var specs = Specs.lenet(2);
        try (WaveCommitter c = new WaveCommitter(store, Set.of(), 60_000, 100, n -> { })) {
            c.offer(ResultStoreTest.outcome(specs.get(0), 1, Status.COMPLETED, 2));
            c.offer(ResultStoreTest.outcome(specs.get(1), 1, Status.DIVERGED, 1));
        }
        return store;
    }

    private static String run(SparkSession spark, ResultStore store, String q, String csv) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        SqlCommand.run(spark, store, q, csv, null, 100, new PrintStream(b, true, StandardCharsets.UTF_8));
        return b.toString(StandardCharsets.UTF_8);
    }

    @Test
    void printsAQueryOverTheViewsAsATable(@TempDir Path dir) throws Exception {
        ResultStore store = storeWithTwoRuns(dir);
        String out = run(spark, store, "SELECT status, count(*) AS n, max(epochs_done) AS e FROM runs GROUP BY status"
                + " ORDER BY status", null);
        assertEquals(String.join("\n",
                "status     n  e",
                "---------  -  -",
                "completed  1  2",
                "diverged   1  1",
                "(2 rows)", ""), out);
        assertTrue(run(spark, store, "SELECT count(*) FROM epochs", null).contains("3"));
    }

    @Test
    void theEffectsViewIsComputedForTheQueriesThatReadIt(@TempDir Path dir) throws Exception {
        ResultStore store = storeWithTwoRuns(dir);
        String out = run(spark, store, "SELECT pool, runs, diverged, jacobians, anova_p FROM effects", null);
        assertEquals(String.join("\n",
                "pool   runs  diverged  jacobians  anova_p",
                "-----  ----  --------  ---------  -------",
                "first     2         1          1     null",
                "(1 rows)", ""), out);
    }

    @Test
    void writesCsvWithAHeader(@TempDir Path dir) throws Exception {
        ResultStore store = storeWithTwoRuns(dir.resolve("results"));
        Path csv = dir.resolve("out.csv");
        run(spark, store, "SELECT run_id, epoch, test_accuracy, norm_mean FROM epochs ORDER BY run_id, epoch", csv.toString());
        List<String> lines = Files.readAllLines(csv);
        assertEquals("run_id,epoch,test_accuracy,norm_mean", lines.get(0));
        assertEquals(4, lines.size());
        assertTrue(lines.get(1).endsWith(",1,0.4,[0.5]"), lines.get(1));
    }

    @Test
    void badSqlIsAUserErrorNamingTheProblem(@TempDir Path dir) {
        ResultStore store = storeWithTwoRuns(dir);
        UserError parse = assertThrows(UserError.class, () -> run(spark, store, "SELEC 1", null));
        assertTrue(parse.getMessage().startsWith("not valid SQL: [PARSE_SYNTAX_ERROR]"), parse.getMessage());
        UserError column = assertThrows(UserError.class,
                () -> run(spark, store, "SELECT accuracy FROM runs", null));
        assertTrue(column.getMessage().contains("accuracy") && column.getMessage().contains("views: runs")
                && column.getMessage().contains("effects"),
                column.getMessage());
    }

    @Test
    void statementsAreCutAtSemicolonsOutsideQuotesAndComments() {
        assertEquals(List.of("SELECT 'a;b' AS x", "SELECT 2"),
                Statements.split("SELECT 'a;b' AS x; -- a comment; with a semicolon\n SELECT 2;\n;"));
    }

    @Test
    void severalStatementsRunInOneSessionFromArgumentsAndAFile(@TempDir Path dir) throws Exception {
        storeWithTwoRuns(dir.resolve("results"));
        Path script = dir.resolve("q.sql");
        Files.writeString(script, "-- two queries\nSELECT count(*) AS runs FROM runs;\nSELECT count(*) AS epochs FROM epochs;\n");
        TiebreakCli.Result r = TiebreakCli.run("sql", "--results", dir.resolve("results").toString(),
                "SELECT 1 AS one; SELECT 2 AS two", "-f", script.toString());
        assertEquals(0, r.exit(), r.err());
        for (String s : List.of("statement 1: SELECT 1 AS one", "statement 2: SELECT 2 AS two", "statement 4: SELECT count(*) AS epochs FROM epochs")) {
            assertTrue(r.out().contains(s), r.out());
        }
        assertTrue(r.out().contains("epochs\n------\n     3"), r.out());
    }

    @Test
    void thePromptRunsEachStatementWhenItEndsAndGoesOnAfterAnError(@TempDir Path dir) throws Exception {
        ResultStore store = storeWithTwoRuns(dir);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(b, true, StandardCharsets.UTF_8);
        String typed = "SELECT count(*) AS n\n FROM runs;\nSELECT nothing FROM runs;\nSELECT 7 AS seven;\nquit\nSELECT 8;\n";
        int exit = Statements.interactive(new java.io.ByteArrayInputStream(typed.getBytes(StandardCharsets.UTF_8)), out,
                true, q -> SqlCommand.run(spark, store, q, null, null, 100, 48, out));
        String text = b.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit);
        assertTrue(text.contains("n\n-\n2"), text);
        assertTrue(text.contains("error: ") && text.contains("nothing"), text);
        assertTrue(text.contains("seven") && !text.contains("8\n"), text);
    }

    @Test
    void widthCutsCellsAndZeroNeverCuts(@TempDir Path dir) throws Exception {
        ResultStore store = storeWithTwoRuns(dir);
        String q = "SELECT repeat('x', 60) AS long";
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        SqlCommand.run(spark, store, q, null, null, 100, 10, new PrintStream(b, true, StandardCharsets.UTF_8));
        assertTrue(b.toString(StandardCharsets.UTF_8).contains("xxxxxxxxx…\n"), b.toString(StandardCharsets.UTF_8));
        b.reset();
        SqlCommand.run(spark, store, q, null, null, 100, 0, new PrintStream(b, true, StandardCharsets.UTF_8));
        assertTrue(b.toString(StandardCharsets.UTF_8).contains("x".repeat(60) + "\n"));
    }

    @Test
    void parquetExportIsOneFile(@TempDir Path dir) throws Exception {
        ResultStore store = storeWithTwoRuns(dir.resolve("results"));
        Path file = dir.resolve("runs.parquet");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        SqlCommand.run(spark, store, "SELECT run_id, status FROM runs", null, file.toString(), 100,
                new PrintStream(b, true, StandardCharsets.UTF_8));
        assertTrue(Files.isRegularFile(file), "one file, not a folder");
        assertEquals(2, spark.read().parquet(file.toString()).count());
        try (var left = Files.list(dir)) {
            assertEquals(List.of("results", "runs.parquet"), left.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void sparkSettingsGoBeforeTheSubcommandAsSparkUsersTypeThem(@TempDir Path dir) {
        storeWithTwoRuns(dir);
        TiebreakCli.Result r = TiebreakCli.run("--conf", "spark.sql.shuffle.partitions=3", "sql", "--results",
                dir.toString(), "SET spark.sql.shuffle.partitions");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("spark.sql.shuffle.partitions      3"), r.out());
        TiebreakCli.Result bad = TiebreakCli.run("--conf", "shuffle=3", "sql", "SELECT 1");
        assertEquals(ExitCodes.USER_ERROR, bad.exit());
        assertTrue(bad.err().contains("--conf shuffle: Spark settings start with 'spark.'"), bad.err());
        spark.conf().set("spark.sql.shuffle.partitions", "4");
    }

    @Test
    void everySubcommandPrintsTheVersion() {
        for (String command : List.of("sweep", "sql", "zones", "lr-search", "compact")) {
            TiebreakCli.Result r = TiebreakCli.run(command, "-V");
            assertEquals(0, r.exit());
            assertTrue(r.out().startsWith("tiebreak 0.1.0"), command + ": [" + r.out() + "] [" + r.err() + "]");
        }
    }
}
