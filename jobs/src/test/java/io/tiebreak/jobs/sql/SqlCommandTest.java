package io.tiebreak.jobs.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.ResultStoreTest;
import io.tiebreak.jobs.results.Status;
import io.tiebreak.jobs.results.WaveCommitter;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.jobs.testing.Specs;
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
    void writesCsvWithAHeader(@TempDir Path dir) throws Exception {
        ResultStore store = storeWithTwoRuns(dir.resolve("results"));
        Path csv = dir.resolve("out.csv");
        run(spark, store, "SELECT run_id, epoch, test_accuracy, norm_mean FROM epochs ORDER BY run_id, epoch", csv.toString());
        List<String> lines = Files.readAllLines(csv);
        assertEquals("run_id,epoch,test_accuracy,norm_mean", lines.get(0));
        assertEquals(4, lines.size());
        assertTrue(lines.get(1).endsWith(",0,0.4,[0.5]"), lines.get(1));
    }

    @Test
    void badSqlIsAUserErrorNamingTheProblem(@TempDir Path dir) {
        ResultStore store = storeWithTwoRuns(dir);
        UserError parse = assertThrows(UserError.class, () -> run(spark, store, "SELEC 1", null));
        assertTrue(parse.getMessage().startsWith("not valid SQL: [PARSE_SYNTAX_ERROR]"), parse.getMessage());
        UserError column = assertThrows(UserError.class,
                () -> run(spark, store, "SELECT accuracy FROM runs", null));
        assertTrue(column.getMessage().contains("accuracy") && column.getMessage().contains("views: runs"),
                column.getMessage());
    }
}
