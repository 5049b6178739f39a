package io.tiebreak.jobs.zones;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.grid.ZoneSpec;
import io.tiebreak.jobs.progress.SweepProgress;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Tables;
import io.tiebreak.jobs.results.ZoneRow;
import io.tiebreak.jobs.sweep.SweepJob;
import io.tiebreak.jobs.testing.FashionMnist;
import io.tiebreak.jobs.testing.LocalSpark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Zones of LeNet-5 on the real Fashion-MNIST (a 512-sample subset, batch 64) in local[2]. */
class ZonesJobTest {
    private final SparkSession spark = LocalSpark.session();

    private static final String GRID = "name: zt\ndataset: fashion-mnist\nnetwork: lenet5\ntrain_subset: 512\n"
            + "batch_size: 64\n";

    private record Ran(ZonesJob.Result result, String output, ResultStore store) {}

    private Ran zones(String yaml, Path results, int perTask, String... sets) {
        Grid g = GridParser.parse("zt.yaml", yaml, List.of(sets), GridParser.Purpose.ZONES);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            ZonesJob.Result r = ZonesJob.run(spark, g, new ZonesJob.Options(results.toString(),
                    FashionMnist.dataRoot().toString(), false, perTask, 60_000, 64, out));
            String text = bytes.toString(StandardCharsets.UTF_8);
            System.out.print(text);
            return new Ran(r, text, new ResultStore(spark, results.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The table without the columns that say how it was measured, in a fixed order. */
    private static Dataset<Row> measurements(ResultStore store) {
        return store.read(Tables.Table.ZONES).drop(ZoneRow.MEASUREMENT_COLUMNS.toArray(new String[0]))
                .orderBy("zone_id", "minibatch");
    }

    @Test
    void theTableDoesNotDependOnHowTheMinibatchesWereSplitIntoTasks(@TempDir Path dir) {
        String yaml = GRID + "precision: fp16\nminibatches: 7\n";
        Ran one = zones(yaml, dir.resolve("one"), 7);
        Ran seven = zones(yaml, dir.resolve("seven"), 1);
        assertEquals(1, one.result().tasks());
        assertEquals(7, seven.result().tasks());

        List<Row> a = measurements(one.store()).collectAsList(), b = measurements(seven.store()).collectAsList();
        assertEquals(7, a.size());
        assertEquals(a, b, "every column but grid, seconds and device_used is the same, array columns included");
        Dataset<Row> t = one.store().read(Tables.Table.ZONES);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), t.orderBy("minibatch").select("minibatch").as(
                org.apache.spark.sql.Encoders.INT()).collectAsList());
        for (ZoneSpec.Field f : ZoneSpec.FIELDS) {
            long nulls = t.filter(t.col(f.name()).isNull()).count();
            assertEquals(f.name().equals("weights_epoch") || f.name().equals("source_run_id") ? 7 : 0, nulls, f.name());
        }
        Row r = t.first();
        assertEquals(List.of("pool1", "pool2"), r.getList(r.fieldIndex("pools")));
        assertEquals(List.of("conv1", "conv2", "fc1", "fc2", "fc3"), r.getList(r.fieldIndex("layers")));
        assertEquals("first", r.getAs("policy_a"));
        assertEquals("min-norm", r.getAs("policy_b"));
        // Fashion-MNIST's black background ties pool windows over the reals: every minibatch differs at 16 bits, and
        // the fp64 gradients differ too (the bitwise verdict: bifurcation), but the tied windows see identical input
        // patches, so over the reals either Jacobian gives the same gradients: a compensation.
        assertEquals(7, t.filter("zone = 'compensation' AND zone_fp64 = 'bifurcation' AND reals_differing = 0"
                + " AND l1 > 0 AND l1_fp64 > 0 AND ties_fp64_total > 0").count(), one.output());
        for (Row s : t.select("layer_share").collectAsList()) {
            double sum = s.<Double>getList(0).stream().mapToDouble(Double::doubleValue).sum();
            assertEquals(1, sum, 1e-9, "layer shares add up to the whole L1 difference");
        }
        assertTrue(one.output().contains("zt: 1 configurations, 7 minibatches; 0 done before, 7 to measure in 1 tasks"),
                one.output());
    }

    @Test
    void aRerunMeasuresOnlyWhatIsMissingAndNeverWritesARowTwice(@TempDir Path results) throws IOException {
        String yaml = GRID + "precision: [fp32, fp64]\nminibatches: 3\n";
        Ran first = zones(yaml, results, 2);
        assertEquals(6, first.result().measured());
        assertEquals(4, first.result().tasks(), "two ranges per configuration: 0-1 and 2");

        Ran again = zones(yaml, results, 2);
        assertEquals(6, again.result().skipped());
        assertEquals(0, again.result().measured());
        assertEquals(0, again.result().waves());

        Ran more = zones(yaml, results, 2, "minibatches=5");
        assertEquals(6, more.result().skipped());
        assertEquals(4, more.result().measured());
        Dataset<Row> t = more.store().read(Tables.Table.ZONES);
        assertEquals(10, t.count());
        assertEquals(10, t.select("zone_id", "minibatch").distinct().count());
        // fp64 is its own bitwise reference: never a compensation by that verdict, and its fp64 norms are its own;
        // over the reals its flat-background differences are compensations too.
        assertEquals(0, t.filter("precision = 'fp64' AND zone_fp64 = 'compensation'").count());
        assertEquals(0, t.filter("precision = 'fp64' AND zone != 'agree' AND l1 != l1_fp64").count());
        assertEquals(5, t.filter("precision = 'fp64' AND zone = 'compensation' AND zone_fp64 = 'bifurcation'").count());
        assertEquals(0, t.filter("(zone = 'agree') != (reals_differing IS NULL)").count(),
                "the exact test runs exactly where the working precision differs");
        // tiebreak sql sees the zones view.
        ByteArrayOutputStream sql = new ByteArrayOutputStream();
        io.tiebreak.jobs.sql.SqlCommand.run(spark, more.store(), "SELECT precision, count(*) AS n FROM zones GROUP BY 1"
                + " ORDER BY 1", null, null, 10, new PrintStream(sql, true, StandardCharsets.UTF_8));
        assertTrue(sql.toString(StandardCharsets.UTF_8).matches("(?s).*fp32 +5.*fp64 +5.*"), sql.toString());
    }

    @Test
    @Tag("slow") // trains a sweep first
    void weightsFromASweepCheckpointAreCheckedAndUsed(@TempDir Path dir) throws Exception {
        Path results = dir.resolve("results");
        String sweep = GRID + "test_subset: 256\nprecision: fp32\nlr: 0.05\nepochs: 2\ncheckpoints: all\n";
        SweepJob.run(spark, GridParser.parse("s.yaml", sweep, List.of(), GridParser.Purpose.SWEEP),
                new SweepJob.Options(results.toString(), FashionMnist.dataRoot().toString(), false, 60_000, 64,
                        SweepProgress.Mode.NONE, new PrintStream(new ByteArrayOutputStream())));

        Ran trained = zones(sweep + "weights: [init, 1, 2]\nminibatches: 2\n", results, 2);
        Dataset<Row> t = trained.store().read(Tables.Table.ZONES);
        assertEquals(6, t.count());
        String runId = t.filter("weights = 'checkpoint'").select("source_run_id").distinct().first().getString(0);
        assertEquals(1, t.filter("weights = 'checkpoint'").select("source_run_id").distinct().count());
        double initLoss = t.filter("weights = 'init'").agg(org.apache.spark.sql.functions.avg("loss")).first().getDouble(0);
        double trainedLoss = t.filter("weights_epoch = 2").agg(org.apache.spark.sql.functions.avg("loss")).first().getDouble(0);
        double firstLoss = t.filter("weights_epoch = 1").agg(org.apache.spark.sql.functions.avg("loss")).first().getDouble(0);
        assertTrue(trainedLoss < initLoss, "two epochs of training lower the loss: " + initLoss + " -> " + trainedLoss);
        assertNotEquals(firstLoss, trainedLoss, "each epoch's checkpoint is its own weights");

        // Another seed's run was never trained: its checkpoints are missing, and the message says how to get them.
        UserError missing = assertThrows(UserError.class,
                () -> zones(sweep + "weights: [1]\nseeds: [4]\nminibatches: 1\n", results, 2));
        assertTrue(missing.getMessage().startsWith("1 checkpoint is missing:") && missing.getMessage().contains(
                "epoch-00001.safetensors") && missing.getMessage().contains("checkpoints: all"), missing.getMessage());

        // A checkpoint file of another run, where seed 4's should be, is bad input: the task that reads it says so
        // in one line naming it, measures nothing, and the job ends with that line (exit 2).
        Path other = results.resolve("checkpoints").resolve(runId).resolve("epoch-00001.safetensors");
        String seed4Grid = sweep + "weights: [1]\nseeds: [4]\nminibatches: 1\n";
        String seed4 = ZonesJob.plan(spark, GridParser.parse("z.yaml", seed4Grid, List.of(), GridParser.Purpose.ZONES),
                results.toString(), FashionMnist.dataRoot().toString(), false).configs().get(0).spec().sourceRunId();
        Path planted = results.resolve("checkpoints").resolve(seed4).resolve("epoch-00001.safetensors");
        Files.createDirectories(planted.getParent());
        Files.copy(other, planted);
        Ran wrong = zones(seed4Grid, results, 2);
        assertEquals(List.of(planted + ": written for another configuration (seed 0 in the checkpoint, 4 in this run)"),
                wrong.result().badInput());
        assertEquals(0, wrong.store().read(Tables.Table.ZONES).filter("source_run_id = '" + seed4 + "'").count());
        assertNotEquals(runId, seed4);

        // A damaged checkpoint (NaN over a weight, the file system's .crc gone with a copy) is refused the same way.
        Path first = results.resolve("checkpoints").resolve(runId).resolve("epoch-00002.safetensors");
        byte[] b = Files.readAllBytes(first);
        int at = io.tiebreak.runtime.io.Safetensors.read(b, "x").require("conv2.weight").data().arrayOffset();
        b[at + 3] = 0x7f;
        b[at + 2] = (byte) 0xc0;
        Files.delete(first.resolveSibling("." + first.getFileName() + ".crc"));
        Files.write(first, b);
        Ran damaged = zones(sweep + "weights: [2]\nminibatches: 3\n", results, 2);
        assertEquals(1, damaged.result().badInput().size(), damaged.output());
        assertTrue(damaged.result().badInput().get(0).startsWith(first + ": corrupt checkpoint: its contents sum to"),
                damaged.result().badInput().get(0));
    }
}
