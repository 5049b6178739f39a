package io.tiebreak.jobs.lrsearch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.progress.SweepProgress;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Tables;
import io.tiebreak.jobs.testing.FashionMnist;
import io.tiebreak.jobs.testing.LocalSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lr-search on the real Fashion-MNIST (tiny subsets, one epoch per trial) in local[2], then a sweep with lr: best. */
class LrSearchJobTest {
    private final SparkSession spark = LocalSpark.session();

    private static final String GRID = String.join("\n",
            "name: search", "dataset: fashion-mnist", "network: lenet5", "train_subset: 512", "test_subset: 256",
            "batch_size: 64", "pool: [first, min-norm]", "epochs: 3",
            "lr_search: {trials: 4, epochs: 1, low: 1e-3, high: 0.3, pruner_startup_trials: 2}", "");

    private String search(Path results) {
        Grid g = GridParser.parse("search.yaml", GRID, List.of(), GridParser.Purpose.LR_SEARCH);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        LrSearchJob.run(spark, g, new LrSearchJob.Options(results.toString(), FashionMnist.dataRoot().toString(),
                false, 60_000, SweepProgress.Mode.LOG, new PrintStream(b, true, StandardCharsets.UTF_8)));
        String out = b.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        return out;
    }

    @Test
    void eachConfigurationGetsItsTrialsAndItsBestAndASweepWithLrBestUsesIt(@TempDir Path results) throws Exception {
        String out = search(results);
        assertTrue(out.contains("search: 2 configurations x 4 trials (random sampler, median pruning); 0 trials done"), out);
        ResultStore store = new ResultStore(spark, results.toString());
        store.registerViews();
        assertEquals(8, spark.sql("SELECT * FROM lr_trials WHERE kind = 'trial'").count());
        assertEquals(2, spark.sql("SELECT DISTINCT config_id FROM lr_trials").count());
        assertEquals(0, spark.sql("SELECT * FROM lr_trials WHERE lr < 1e-3 OR lr > 0.3 OR epochs != 1").count());
        // The best row of each configuration is its completed trial with the highest final test accuracy.
        List<Row> wrong = spark.sql("SELECT b.config_id FROM lr_trials b WHERE b.kind = 'best' AND b.objective < ("
                + "SELECT max(t.objective) FROM lr_trials t WHERE t.kind = 'trial' AND t.status = 'completed'"
                + " AND t.config_id = b.config_id)").collectAsList();
        assertEquals(List.of(), wrong);
        assertEquals(2, spark.sql("SELECT * FROM lr_trials WHERE kind = 'best' AND status = 'completed'").count());

        ByteArrayOutputStream dry = new ByteArrayOutputStream();
        LrSearchJob.dryRun(spark, GridParser.parse("search.yaml", GRID, List.of(), GridParser.Purpose.LR_SEARCH),
                new LrSearchJob.Options(results.toString(), FashionMnist.dataRoot().toString(), false, 60_000,
                        SweepProgress.Mode.NONE, new PrintStream(dry, true, StandardCharsets.UTF_8)));
        String d = dry.toString(StandardCharsets.UTF_8);
        assertTrue(d.contains("search: 2 configurations x 4 trials of up to 1 epoch (random sampler, median pruning);"
                + " 8 trials done before, 0 to run; the grid is valid") && d.contains("best_lr"), d);
        assertEquals(8, store.read(Tables.Table.LR_TRIALS).filter("kind = 'trial'").count(), "a dry run trains nothing");

        String again = search(results);
        assertTrue(again.contains("8 trials done before"), again);
        store.registerViews();
        assertEquals(10, spark.sql("SELECT * FROM lr_trials").count());

        // A sweep of the same configurations with lr: best (3 epochs, 2 seeds) trains at the chosen rates.
        Grid sweep = GridParser.parse("sweep.yaml", GRID.replace("lr_search:", "lr: best\nrepeats: 2\n#"), List.of(),
                GridParser.Purpose.SWEEP);
        io.tiebreak.jobs.sweep.SweepJob.run(spark, sweep, new io.tiebreak.jobs.sweep.SweepJob.Options(
                results.toString(), FashionMnist.dataRoot().toString(), false, 60_000, 64, SweepProgress.Mode.NONE,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
        store.registerViews();
        assertEquals(4, store.read(Tables.Table.RUNS).count());
        assertEquals(0, spark.sql("SELECT r.run_id FROM runs r JOIN lr_trials b ON b.config_id = r.config_id"
                + " AND b.kind = 'best' WHERE r.lr != b.lr").count());
    }
}
