package io.tiebreak.jobs.report;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.ResultStoreTest;
import io.tiebreak.jobs.results.Status;
import io.tiebreak.jobs.results.WaveCommitter;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.jobs.testing.Specs;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    @Test
    void drawsCurvesAndFinalsPerConfigurationWithTheReferenceBesideOurs(@TempDir Path dir) throws Exception {
        // LeNet-5 on MNIST at 16 and 32 bits, B = 0 and 1000, two repeats; the runs' metrics are made up by the
        // test fixture (final test accuracy 0.42 after 3 epochs), one B = 1000 run at 16 bits diverged.
        List<RunSpec> specs = Specs.plan("dataset: mnist\nnetwork: lenet5\nlr: 0.01\nepochs: 3\nrepeats: 2\n"
                + "precision: [fp16, fp32]\npool: [0, 1000]\npool_form: composite\n");
        assertEquals(8, specs.size());
        ResultStore store = new ResultStore(LocalSpark.session(), dir.resolve("results").toString());
        try (WaveCommitter c = new WaveCommitter(store, Set.of(), 60_000, 100, n -> { })) {
            for (RunSpec s : specs) {
                boolean diverge = s.precision().bits() == 16 && s.pool().beta() == 1000 && s.seed() == 1;
                c.offer(ResultStoreTest.outcome(s, 1, diverge ? Status.DIVERGED : Status.COMPLETED, 3));
            }
        }
        Path out = dir.resolve("report");
        Report.Written w = Report.write(store, out, ReferenceTable.bundled());
        assertEquals(List.of(out.resolve("curves-mnist-lenet5-nobn-sgd-3ep.png"), out.resolve("final-mnist-lenet5-nobn-sgd-3ep.png")),
                w.images());
        for (Path p : w.images()) {
            BufferedImage img = ImageIO.read(p.toFile());
            assertTrue(img.getWidth() >= 500 && img.getHeight() >= 300, p + " is " + img.getWidth() + "x" + img.getHeight());
        }
        String html = Files.readString(w.html());
        // fp16, B = 1000: ours (mean of 0.42 over two runs) beside the study's collapse to 9.8%.
        assertTrue(html.contains("<td>16</td><td>B=1000</td><td class=n>3</td><td class=n>2</td>"
                + "<td class=n>0.4200 ± 0.0000</td><td class=n>1</td><td class=n>0.0980 ± 0.0000</td>"
                + "<td class=n>10 × 100</td><td class=n>+0.3220</td>"), html);
        assertTrue(html.contains("<td>32</td><td>B=0</td>"), html);
        assertTrue(html.contains("4 of our configurations have a reference number"), html);
        assertTrue(html.contains("<img src=\"final-mnist-lenet5-nobn-sgd-3ep.png\""), html);
    }

    @Test
    void aDivergedRunKeepsItsCollapsedAccuracyInTheEpochsItDidNotTrain(@TempDir Path dir) {
        List<RunSpec> specs = Specs.plan("dataset: mnist\nnetwork: lenet5\nlr: 0.01\nepochs: 4\nrepeats: 2\n"
                + "precision: fp16\npool: 1000\npool_form: composite\n");
        ResultStore store = new ResultStore(LocalSpark.session(), dir.resolve("results").toString());
        try (WaveCommitter c = new WaveCommitter(store, Set.of(), 60_000, 100, n -> { })) {
            c.offer(ResultStoreTest.outcome(specs.get(0), 1, Status.COMPLETED, 4)); // test accuracy 0.40 .. 0.43
            c.offer(ResultStoreTest.outcome(specs.get(1), 1, Status.DIVERGED, 2));  // 0.40, then 0.41 in epoch 1
        }
        List<Row> mean = Report.curvePoints(store).groupBy("epoch").agg(avg("test_accuracy"), count(lit(1)))
                .orderBy("epoch").collectAsList();
        assertEquals(4, mean.size());
        double[] expected = {0.40, 0.41, (0.42 + 0.41) / 2, (0.43 + 0.41) / 2};
        for (int e = 0; e < 4; e++) {
            assertEquals(expected[e], mean.get(e).getDouble(1), 1e-12, "mean test accuracy of epoch " + e);
            assertEquals(2, mean.get(e).getLong(2), "both repeats count in epoch " + e);
        }
    }

    @Test
    void theBundledReferenceHasTheStudysHeadlineNumbers() {
        ReferenceTable ref = ReferenceTable.bundled();
        assertEquals(0.0980, ref.find("mnist", "lenet5", false, "sgd", 16, "beta:1000", 1000.0).orElseThrow().mean());
        assertEquals(0.9922, ref.find("mnist", "lenet5", false, "sgd", 16, "first", null).orElseThrow().mean());
        assertEquals(0.1000, ref.find("cifar10", "vgg11", false, "sgd", 16, "beta:1000", 1000.0).orElseThrow().mean());
        assertTrue(ref.find("mnist", "lenet5", false, "sgd", 16, "last", null).isEmpty());
        assertTrue(ref.find("fashion-mnist", "lenet5", false, "sgd", 16, "first", null).isEmpty());
    }
}
