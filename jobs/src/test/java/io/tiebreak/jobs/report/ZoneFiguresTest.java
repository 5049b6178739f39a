package io.tiebreak.jobs.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.grid.LrChoices;
import io.tiebreak.jobs.grid.ZonePlanner;
import io.tiebreak.jobs.grid.ZoneSpec;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Tables;
import io.tiebreak.jobs.results.WaveCommitter;
import io.tiebreak.jobs.results.ZoneRow;
import io.tiebreak.jobs.testing.FixedCatalog;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.runtime.zones.Zone;
import io.tiebreak.runtime.zones.ZoneMeasurement;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZoneFiguresTest {
    /** A made-up measurement: the zone, and for differing minibatches an L1 norm of 10^log10L1. */
    private static ZoneMeasurement measured(Zone zone, double log10L1) {
        double l1 = zone == Zone.AGREE ? 0 : Math.pow(10, log10L1);
        return new ZoneMeasurement(zone, l1, l1 / 10, zone == Zone.BIFURCATION ? l1 : 0, 0, 2.3,
                List.of("features.2", "features.5"), new long[] {3, 1}, new long[] {2, 0},
                List.of("features.0.weight", "features.0.bias", "classifier.weight"), new double[] {0.5, 0.25, 0.25});
    }

    @Test
    void barsPerSettingAxisAndHistogramsOfTheL1DifferencePerPrecision(@TempDir Path dir) throws Exception {
        // VGG11 on CIFAR-10 at 16/32/64 bits and batch 128/256, four minibatches each. Made-up zones: fp16 always
        // differs by a compensation (norm 1e-3), fp32 half the time by a bifurcation (norm 1e-6), fp64 never.
        ZonePlanner.Plan plan = ZonePlanner.plan(GridParser.parse("z.yaml", "dataset: cifar10\nnetwork: vgg11\n"
                        + "precision: [fp16, fp32, fp64]\nbatch_size: [128, 256]\nminibatches: 4\n", List.of(),
                GridParser.Purpose.ZONES), FixedCatalog.standard(), LrChoices.NONE, false);
        ResultStore store = new ResultStore(LocalSpark.session(), dir.resolve("results").toString());
        try (WaveCommitter c = new WaveCommitter(store, Set.of(), 60_000, 100, n -> { })) {
            for (ZonePlanner.Config cfg : plan.configs()) {
                ZoneSpec s = cfg.spec();
                List<Row> rows = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    ZoneMeasurement m = switch (s.precision()) {
                        case FP16 -> measured(Zone.COMPENSATION, -3);
                        case FP32 -> measured(i % 2 == 0 ? Zone.BIFURCATION : Zone.AGREE, -6);
                        default -> measured(Zone.AGREE, 0);
                    };
                    rows.add(Tables.ZONES.row(ZoneRow.of("z", s, i, m, 0.1, "cpu x1")));
                }
                c.offer(Tables.Table.ZONES, rows);
            }
        }
        Path out = dir.resolve("report");
        Files.createDirectories(out);
        ZoneFigures.Written w = ZoneFigures.write(store, out);
        List<String> names = w.images().stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(2, names.stream().filter(n -> n.startsWith("zones-by-precision-")).count(), names.toString());
        assertEquals(3, names.stream().filter(n -> n.startsWith("zones-by-batch-size-")).count(), names.toString());
        assertEquals(2, names.stream().filter(n -> n.startsWith("zones-l1-")).count(), names.toString());
        assertEquals(7, names.size(), names.toString());
        assertTrue(names.stream().noneMatch(n -> n.contains("null")), "file names say init, not null: " + names);
        assertTrue(names.contains("zones-by-precision-cifar10-train-vgg11-nobn-first-min-norm-0.0-b128-init.png"), names.toString());
        for (Path p : w.images()) {
            BufferedImage img = ImageIO.read(p.toFile());
            assertTrue(img.getWidth() >= 500 && img.getHeight() >= 300, p + " is " + img.getWidth() + "x" + img.getHeight());
        }
        // Shares per setting, with the study's numbers beside the configuration it measured (batch 128).
        assertTrue(w.html().contains("<td>16</td><td class=n>128</td><td>first vs min-norm</td><td>init</td>"
                + "<td class=n>4</td><td class=n>0.0%</td><td class=n>0.0%</td><td class=n>100.0%</td><td>100%</td>"),
                w.html());
        assertTrue(w.html().contains("<td>32</td><td class=n>128</td><td>first vs min-norm</td><td>init</td>"
                + "<td class=n>4</td><td class=n>50.0%</td><td class=n>50.0%</td><td class=n>0.0%</td><td>about 55%</td>"),
                w.html());
        assertTrue(w.html().contains("<td>64</td><td class=n>256</td><td>first vs min-norm</td><td>init</td>"
                + "<td class=n>4</td><td class=n>100.0%</td><td class=n>0.0%</td><td class=n>0.0%</td><td>—</td>"),
                w.html());

        // The whole report carries the zones section, and a results folder without zones draws none.
        Report.Written all = Report.write(store, dir.resolve("page"), ReferenceTable.bundled());
        assertEquals(7, all.images().size());
        assertTrue(Files.readString(all.html()).contains("<h2>Zones</h2>"));
        ResultStore empty = new ResultStore(LocalSpark.session(), dir.resolve("none").toString());
        assertEquals(List.of(), ZoneFigures.write(empty, out).images());
    }
}
