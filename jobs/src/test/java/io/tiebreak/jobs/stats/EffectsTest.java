package io.tiebreak.jobs.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.jobs.results.EpochRow;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.RunOutcome;
import io.tiebreak.jobs.results.Status;
import io.tiebreak.jobs.results.WaveCommitter;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.jobs.testing.Specs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The effects view: per setting and Jacobian the Summarizer's statistics, per setting the ANOVA across Jacobians and
 * the Spearman correlation of log10(1 + B) and accuracy, checked against the textbook formulas.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EffectsTest {
    /** Final accuracies by precision and B (three seeds each); fp16 B = 1000 diverged, as the study's did. */
    private static final Map<String, double[]> ACCURACY = Map.of(
            "fp16/0", new double[] {0.90, 0.91, 0.92}, "fp16/1", new double[] {0.905, 0.915, 0.925},
            "fp16/1000", new double[] {0.10, 0.10, 0.10},
            "fp32/0", new double[] {0.90, 0.92, 0.91}, "fp32/1", new double[] {0.91, 0.90, 0.92},
            "fp32/1000", new double[] {0.92, 0.91, 0.90},
            "fp64/0", new double[] {0.93}, "fp64/1", new double[] {0.92}, "fp64/1000", new double[] {0.91});

    private final Map<String, Row> rows = new HashMap<>();

    private static RunOutcome finished(RunSpec s, int attempt, Status status, double accuracy) {
        List<EpochRow> epochs = List.of(new EpochRow(0, 1.0, 0.5, 1.1, accuracy, 0.01, 2.0, 0, 3.0, 1.0));
        return new RunOutcome("test", s, attempt, status, "", status == Status.DIVERGED ? 0 : -1,
                status == Status.FAILED ? List.of() : epochs, 5.0, "cpu", "0", "localhost", 1000L, 6000L,
                new RunOutcome.Versions("0.1.0", "4.1.1", "17", "cpu", "test cpu"), null);
    }

    @BeforeAll
    void sweepResults(@TempDir Path dir) {
        List<RunSpec> specs = new ArrayList<>(Specs.plan("dataset: mnist\nnetwork: lenet5\nlr: 0.01\nepochs: 1\n"
                + "repeats: 3\nprecision: [fp16, fp32]\npool: [0, 1, 1000]\npool_form: composite\n"));
        specs.addAll(Specs.plan("dataset: mnist\nnetwork: lenet5\nlr: 0.01\nepochs: 1\nrepeats: 1\nprecision: fp64\n"
                + "pool: [0, 1, 1000]\npool_form: composite\n"));
        ResultStore store = new ResultStore(LocalSpark.session(), dir.toString());
        try (WaveCommitter c = new WaveCommitter(store, Set.of(), 60_000, 100, n -> { })) {
            for (RunSpec s : specs) {
                String key = s.precision().id() + "/" + (long) s.pool().beta();
                boolean diverged = key.equals("fp16/1000");
                c.offer(finished(s, 1, diverged ? Status.DIVERGED : Status.COMPLETED, ACCURACY.get(key)[(int) s.seed()]));
            }
            // A run whose latest attempt failed counts nowhere: fp32 B = 10 (not a B of the grid above).
            RunSpec failed = Specs.plan("dataset: mnist\nnetwork: lenet5\nlr: 0.01\nepochs: 1\nprecision: fp32\n"
                    + "pool: 10\npool_form: composite\n").get(0);
            c.offer(finished(failed, 1, Status.FAILED, Double.NaN));
        }
        store.registerViews();
        for (Row r : Effects.of(LocalSpark.session().table("runs")).collectAsList()) {
            rows.put(r.getAs("precision") + "/" + ((Double) r.getAs("beta")).longValue(), r);
        }
    }

    @Test
    void oneRowPerSettingAndJacobianWithTheSummarizersStatistics() {
        assertEquals(9, rows.size(), rows.keySet().toString());
        Row collapsed = rows.get("fp16/1000");
        assertEquals(3L, (long) collapsed.getAs("runs"));
        assertEquals(3L, (long) collapsed.getAs("diverged"));
        assertEquals(0.10, d(collapsed, "acc_mean"), 1e-15);
        assertEquals(0.0, d(collapsed, "acc_std"), 1e-15);
        Row first = rows.get("fp16/0");
        assertEquals(0.91, d(first, "acc_mean"), 1e-12);
        assertEquals(0.01, d(first, "acc_std"), 1e-12, "the sample std (n - 1)");
        assertEquals(0.90, d(first, "acc_min"), 0);
        assertEquals(0.92, d(first, "acc_max"), 0);
        assertEquals(0L, (long) first.getAs("diverged"));
        Row single = rows.get("fp64/0");
        assertEquals(1L, (long) single.getAs("runs"));
        assertTrue(single.isNullAt(single.fieldIndex("acc_std")), "one run has no sample std");
        String fp16 = rows.get("fp16/0").getAs("setting_id"), fp32 = rows.get("fp32/0").getAs("setting_id");
        assertEquals(fp16, rows.get("fp16/1000").getAs("setting_id"));
        assertTrue(!fp16.equals(fp32), "precision is part of the setting");
    }

    @Test
    void theAnovaAcrossJacobiansIsTheTextbookOne() {
        double f16 = fStatistic("fp16"), f32 = fStatistic("fp32");
        Row r16 = rows.get("fp16/0"), r32 = rows.get("fp32/1");
        assertEquals(3, (int) r16.getAs("jacobians"));
        assertEquals(f16, d(r16, "anova_f"), 1e-9 * f16);
        assertEquals(f32, d(r32, "anova_f"), 1e-9);
        assertEquals(8L, (long) r16.getAs("anova_dof"), "(k - 1) + (n - k) for 9 runs");
        assertTrue(d(r16, "anova_p") < 1e-9, "B = 1000 collapsed: " + d(r16, "anova_p"));
        assertEquals(1.0, d(r32, "anova_p"), 1e-9, "identical means at 32 bits: F = 0, p = 1");
        Row single = rows.get("fp64/1");
        assertTrue(single.isNullAt(single.fieldIndex("anova_f")), "no Jacobian has two runs: no within-group variance");
    }

    @Test
    void theSpearmanCorrelationOfLogBAndAccuracyRanksWithTies() {
        for (String p : List.of("fp16", "fp32", "fp64")) {
            Row r = rows.get(p + "/0");
            assertEquals(spearman(p), d(r, "spearman_rho"), 1e-12, p);
        }
        assertTrue(d(rows.get("fp16/1"), "spearman_rho") < -0.5, "accuracy falls with B at 16 bits");
        assertEquals(-1.0, d(rows.get("fp64/1"), "spearman_rho"), 1e-12);
    }

    private static double d(Row r, String column) { return r.getDouble(r.fieldIndex(column)); }

    private static List<double[]> groups(String precision) {
        List<double[]> g = new ArrayList<>();
        for (long b : new long[] {0, 1, 1000}) g.add(ACCURACY.get(precision + "/" + b));
        return g;
    }

    /** (SSB / (k - 1)) / (SSW / (n - k)). */
    private static double fStatistic(String precision) {
        List<double[]> g = groups(precision);
        double all = 0;
        int n = 0;
        for (double[] x : g) for (double v : x) { all += v; n++; }
        double grand = all / n, ssb = 0, ssw = 0;
        for (double[] x : g) {
            double m = Arrays.stream(x).average().orElseThrow();
            ssb += x.length * (m - grand) * (m - grand);
            for (double v : x) ssw += (v - m) * (v - m);
        }
        return (ssb / (g.size() - 1)) / (ssw / (n - g.size()));
    }

    /** Pearson correlation of the average ranks (ties share their mean rank) of log10(1 + B) and accuracy. */
    private static double spearman(String precision) {
        List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
        long[] bs = {0, 1, 1000};
        for (int i = 0; i < bs.length; i++) {
            for (double v : groups(precision).get(i)) {
                xs.add(Math.log10(1 + bs[i]));
                ys.add(v);
            }
        }
        double[] rx = ranks(xs), ry = ranks(ys);
        double mx = Arrays.stream(rx).average().orElseThrow(), my = Arrays.stream(ry).average().orElseThrow();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < rx.length; i++) {
            sxy += (rx[i] - mx) * (ry[i] - my);
            sxx += (rx[i] - mx) * (rx[i] - mx);
            syy += (ry[i] - my) * (ry[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    private static double[] ranks(List<Double> v) {
        double[] r = new double[v.size()];
        for (int i = 0; i < r.length; i++) {
            int below = 0, equal = 0;
            for (double w : v) {
                if (w < v.get(i)) below++;
                else if (w == v.get(i)) equal++;
            }
            r[i] = below + (equal + 1) / 2.0;
        }
        return r;
    }
}
