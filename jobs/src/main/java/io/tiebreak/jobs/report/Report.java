package io.tiebreak.jobs.report;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.sequence;
import static org.apache.spark.sql.functions.sum;

import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Tables;
import io.tiebreak.jobs.stats.Effects;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The study's figures from the results, as PNG files, and one HTML page that shows them with a table of final
 * accuracies, ours beside the reference study's where the configuration matches. Per (dataset, network, batch-norm,
 * optimizer, epochs): test accuracy per epoch for each MaxPool Jacobian, one panel per precision; and final test
 * accuracy against B, mean and spread (std) over repeats, one line per precision, the reference as open markers.
 * Failed runs are left out; diverged runs count with the accuracy they ended on, as the study scored them (the
 * NaN network after the non-finite step), in the final accuracies and in every epoch after the one they diverged in.
 * The zones table's figures follow ({@link ZoneFigures}).
 */
public final class Report {
    private Report() {}

    static final int PANEL_W = 520, PANEL_H = 380;

    /** A figure's configuration. */
    record Group(String dataset, String network, boolean batchNorm, String optimizer, int epochs) {
        String title() {
            return dataset + " · " + network + (batchNorm ? " + batch-norm" : "") + " · " + optimizer + " · " + epochs
                    + " epochs";
        }

        String slug() {
            return (dataset + "-" + network + "-" + (batchNorm ? "bn" : "nobn") + "-" + optimizer + "-" + epochs + "ep")
                    .replaceAll("[^A-Za-z0-9._-]", "_");
        }
    }

    /** A MaxPool Jacobian as a figure shows it: B for beta:B (and first = 0, min-norm = 1), else its name. */
    record Policy(String pool, Double beta, String form) {
        String label() {
            String base = beta != null ? "B=" + num(beta) : pool;
            return form.equals("exact") || beta == null ? base + (beta != null ? " exact" : "") : base;
        }

        double order() {
            return ReferenceTable.studyBeta(pool, beta).map(b -> (double) b).orElse(Double.MAX_VALUE);
        }
    }

    record Final(Group group, String precision, int bits, Policy policy, long runs, double mean, double std,
                 long diverged) {}

    /** A setting's tests of the Jacobian's effect (runs counted while its rows are read). */
    record Test(Group group, int bits, String form, int jacobians, double anovaF, double anovaP, double spearman,
                long[] runs) {}

    private static double nanIfNull(Row r, String column) {
        return r.isNullAt(r.fieldIndex(column)) ? Double.NaN : r.getDouble(r.fieldIndex(column));
    }

    public record Written(Path html, List<Path> images) {}

    public static Written write(ResultStore store, Path out, ReferenceTable reference) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(out);
        // Final accuracies and the tests of the Jacobian's effect: the effects view (Spark MLlib's ml.stat).
        List<Final> finals = new ArrayList<>();
        Map<String, Test> tests = new LinkedHashMap<>();
        for (Row r : Effects.of(store.latestRuns()).collectAsList()) {
            Group g = new Group(r.getAs("dataset"), r.getAs("network"), r.getAs("batch_norm"), r.getAs("optimizer"),
                    r.getAs("epochs"));
            Policy policy = new Policy(r.getAs("pool"), r.getAs("beta"), r.getAs("pool_form"));
            finals.add(new Final(g, r.getAs("precision"), r.getAs("bits"), policy, r.getAs("runs"), r.getAs("acc_mean"),
                    r.isNullAt(r.fieldIndex("acc_std")) ? Double.NaN : r.getAs("acc_std"), r.getAs("diverged")));
            Test t = tests.computeIfAbsent(r.getAs("setting_id"), id -> new Test(g, r.getAs("bits"), r.getAs("pool_form"),
                    r.getAs("jacobians"), nanIfNull(r, "anova_f"), nanIfNull(r, "anova_p"), nanIfNull(r, "spearman_rho"),
                    new long[1]));
            t.runs()[0] += (long) r.getAs("runs");
        }
        // Mean test accuracy per epoch over the repeats of each configuration.
        Map<Group, Map<String, Map<Policy, TreeMap<Integer, Double>>>> curves = new TreeMap<>(GROUP_ORDER);
        for (Row r : curvePoints(store)
                .groupBy("dataset", "network", "batch_norm", "optimizer", "epochs", "precision", "pool", "beta",
                        "pool_form", "epoch")
                .agg(avg("test_accuracy")).collectAsList()) {
            curves.computeIfAbsent(group(r), g -> new TreeMap<>(Report::byBitsName))
                    .computeIfAbsent(r.getString(5), p -> new TreeMap<>(POLICY_ORDER))
                    .computeIfAbsent(policy(r, 6), p -> new TreeMap<>()).put(r.getInt(9), r.getDouble(10));
        }
        Map<Group, List<Final>> byGroup = new TreeMap<>(GROUP_ORDER);
        for (Final f : finals) byGroup.computeIfAbsent(f.group(), g -> new ArrayList<>()).add(f);

        List<Path> images = new ArrayList<>();
        StringBuilder figures = new StringBuilder();
        for (Map.Entry<Group, List<Final>> e : byGroup.entrySet()) {
            Group g = e.getKey();
            figures.append("<h2>").append(html(g.title())).append("</h2>\n");
            if (curves.containsKey(g)) {
                Path p = out.resolve("curves-" + g.slug() + ".png");
                ImageIO.write(curvePanels(g, curves.get(g)), "png", p.toFile());
                images.add(p);
                figures.append("<img src=\"").append(p.getFileName()).append("\" alt=\"test accuracy per epoch\">\n");
            }
            Path p = out.resolve("final-" + g.slug() + ".png");
            ImageIO.write(Figures.titled(BitmapEncoder.getBufferedImage(finalChart(g, e.getValue(), reference)),
                    "Final test accuracy against the MaxPool Jacobian (mean ± std over repeats)", g.title()), "png", p.toFile());
            images.add(p);
            figures.append("<img src=\"").append(p.getFileName()).append("\" alt=\"final accuracy against B\">\n");
        }
        LrSearchFigures.Written lr = LrSearchFigures.write(store, out);
        images.addAll(lr.images());
        figures.append(lr.html());
        ZoneFigures.Written zones = ZoneFigures.write(store, out);
        images.addAll(zones.images());
        figures.append(zones.html());
        Path index = out.resolve("index.html");
        Files.writeString(index, page(byGroup, tests.values(), reference, figures.toString(), store), StandardCharsets.UTF_8);
        return new Written(index, images);
    }

    private static final String[] CURVE_COLUMNS = {"dataset", "network", "batch_norm", "optimizer", "epochs",
        "precision", "pool", "beta", "pool_form", "epoch", "test_accuracy"};

    /**
     * Test accuracy per run and epoch, and for a diverged run its final (collapsed) accuracy again in every epoch it
     * did not train: the study's runs went on with NaN weights and scored that in each of their remaining epochs,
     * so a mean over repeats keeps the runs that collapsed instead of forgetting them after their last epoch.
     */
    static Dataset<Row> curvePoints(ResultStore store) {
        Dataset<Row> trained = store.read(Tables.Table.EPOCHS).selectExpr(quoted(CURVE_COLUMNS));
        Dataset<Row> carried = store.latestRuns()
                .filter(col("status").equalTo("diverged").and(col("diverged_epoch").lt(col("epochs"))))
                .withColumn("epoch", explode(sequence(col("diverged_epoch").plus(1), col("epochs")))) // from 1
                .withColumn("test_accuracy", col("final_test_accuracy"))
                .selectExpr(quoted(CURVE_COLUMNS));
        return trained.unionByName(carried);
    }

    private static String[] quoted(String[] columns) {
        return java.util.Arrays.stream(columns).map(c -> "`" + c + "`").toArray(String[]::new);
    }

    private static Group group(Row r) {
        return new Group(r.getString(0), r.getString(1), r.getBoolean(2), r.getString(3), r.getInt(4));
    }

    private static Policy policy(Row r, int at) {
        return new Policy(r.getString(at), r.isNullAt(at + 1) ? null : r.getDouble(at + 1), r.getString(at + 2));
    }

    static final Comparator<Group> GROUP_ORDER = Comparator.comparing(Group::dataset).thenComparing(Group::network)
            .thenComparing(Group::batchNorm).thenComparing(Group::optimizer).thenComparingInt(Group::epochs);

    static final Comparator<Policy> POLICY_ORDER = Comparator.comparingDouble(Policy::order)
            .thenComparing(Policy::pool).thenComparing(Policy::form);

    private static int byBitsName(String a, String b) {
        return Integer.compare(bitsOf(a), bitsOf(b));
    }

    private static int bitsOf(String precision) {
        return switch (precision) {
            case "fp16" -> 16;
            case "mixed" -> 24;
            case "fp32" -> 32;
            case "fp64" -> 64;
            default -> 1000;
        };
    }

    /** Test accuracy per epoch, one panel per precision, one line per Jacobian; panels side by side. */
    static BufferedImage curvePanels(Group g, Map<String, Map<Policy, TreeMap<Integer, Double>>> byPrecision) {
        List<BufferedImage> panels = new ArrayList<>();
        // Every panel on the same accuracy range, and each Jacobian in the same colour in every panel.
        List<Double> all = new ArrayList<>();
        TreeSet<Policy> policies = new TreeSet<>(POLICY_ORDER);
        for (Map<Policy, TreeMap<Integer, Double>> m : byPrecision.values()) {
            m.values().forEach(t -> all.addAll(t.values()));
            policies.addAll(m.keySet());
        }
        List<Policy> order = new ArrayList<>(policies);
        int maxEpoch = byPrecision.values().stream().flatMap(m -> m.values().stream()).mapToInt(TreeMap::lastKey)
                .max().orElse(1);
        for (Map.Entry<String, Map<Policy, TreeMap<Integer, Double>>> p : byPrecision.entrySet()) {
            XYChart c = new XYChartBuilder().width(PANEL_W).height(PANEL_H).title(p.getKey())
                    .xAxisTitle("epoch").yAxisTitle("test accuracy").build();
            style(c);
            Figures.accuracyAxis(c.getStyler(), all);
            c.getStyler().setXAxisMin(1.0).setXAxisMax((double) Math.max(2, maxEpoch));
            if (maxEpoch <= 20) Figures.integerXAxis(c.getStyler());
            for (Map.Entry<Policy, TreeMap<Integer, Double>> line : p.getValue().entrySet()) {
                double[] x = line.getValue().keySet().stream().mapToDouble(Integer::doubleValue).toArray();
                double[] y = line.getValue().values().stream().mapToDouble(Double::doubleValue).toArray();
                XYSeries s = c.addSeries(line.getKey().label(), x, y);
                int i = order.indexOf(line.getKey());
                s.setLineColor(Figures.jacobian(i, order.size()));
                s.setMarkerColor(Figures.jacobian(i, order.size()));
                s.setLineWidth(Figures.width(i, order.size()));
                s.setMarker(x.length > 30 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
            }
            panels.add(BitmapEncoder.getBufferedImage(c));
        }
        int w = panels.stream().mapToInt(BufferedImage::getWidth).sum();
        BufferedImage row = new BufferedImage(Math.max(w, 1), PANEL_H, BufferedImage.TYPE_INT_RGB);
        Graphics2D gr = row.createGraphics();
        int x = 0;
        for (BufferedImage p : panels) {
            gr.drawImage(p, x, 0, null);
            x += p.getWidth();
        }
        gr.dispose();
        return Figures.titled(row, "Test accuracy per epoch (mean over repeats), one panel per precision", g.title());
    }

    /** Final test accuracy against the Jacobian (B), mean and std over repeats per precision, reference beside. */
    static XYChart finalChart(Group g, List<Final> finals, ReferenceTable reference) {
        TreeSet<Policy> policies = new TreeSet<>(POLICY_ORDER);
        for (Final f : finals) policies.add(f.policy());
        List<Policy> order = new ArrayList<>(policies);
        XYChart c = new XYChartBuilder().width(PANEL_W + 200).height(PANEL_H + 40)
                .xAxisTitle("MaxPool Jacobian").yAxisTitle("test accuracy").build();
        style(c);
        List<Double> values = new ArrayList<>();
        for (Final f : finals) {
            values.add(f.mean() - (Double.isNaN(f.std()) ? 0 : f.std()));
            values.add(f.mean() + (Double.isNaN(f.std()) ? 0 : f.std()));
            reference.find(g.dataset(), g.network(), g.batchNorm(), g.optimizer(), f.bits(), f.policy().pool(),
                    f.policy().beta()).ifPresent(r -> values.add(r.mean()));
        }
        Figures.accuracyAxis(c.getStyler(), values);
        c.getStyler().setErrorBarsColorSeriesColor(true);
        c.getStyler().setXAxisTickMarkSpacingHint(40);
        c.setCustomXAxisTickLabelsFormatter(v -> {
            int i = (int) Math.round(v);
            return Math.abs(v - i) < 1e-9 && i >= 0 && i < order.size() ? order.get(i).label() : "";
        });
        Map<String, List<Final>> byPrecision = new TreeMap<>(Report::byBitsName);
        for (Final f : finals) byPrecision.computeIfAbsent(f.precision(), p -> new ArrayList<>()).add(f);
        for (Map.Entry<String, List<Final>> p : byPrecision.entrySet()) {
            List<Final> fs = new ArrayList<>(p.getValue());
            fs.sort(Comparator.comparing(Final::policy, POLICY_ORDER));
            double[] x = fs.stream().mapToDouble(f -> order.indexOf(f.policy())).toArray();
            double[] y = fs.stream().mapToDouble(Final::mean).toArray();
            double[] err = fs.stream().mapToDouble(f -> Double.isNaN(f.std()) ? 0 : f.std()).toArray();
            XYSeries ours = c.addSeries(p.getKey() + " (ours)", x, y, err);
            ours.setMarker(SeriesMarkers.CIRCLE);
            ours.setLineColor(Figures.precision(p.getKey()));
            ours.setMarkerColor(Figures.precision(p.getKey()));
            List<double[]> ref = new ArrayList<>();
            for (Final f : fs) {
                reference.find(g.dataset(), g.network(), g.batchNorm(), g.optimizer(), f.bits(), f.policy().pool(),
                        f.policy().beta()).ifPresent(r -> ref.add(new double[] {order.indexOf(f.policy()), r.mean(), r.std()}));
            }
            if (!ref.isEmpty()) {
                XYSeries s = c.addSeries(p.getKey() + " (reference)", ref.stream().mapToDouble(v -> v[0]).toArray(),
                        ref.stream().mapToDouble(v -> v[1]).toArray(), ref.stream().mapToDouble(v -> v[2]).toArray());
                s.setMarker(SeriesMarkers.DIAMOND);
                s.setLineStyle(SeriesLines.DASH_DASH);
                s.setLineColor(Figures.precision(p.getKey()));
                s.setMarkerColor(Figures.precision(p.getKey()));
            }
        }
        return c;
    }

    private static void style(XYChart c) {
        Styler s = c.getStyler();
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridLinesStroke(Figures.GRID);
    }

    private static String page(Map<Group, List<Final>> byGroup, java.util.Collection<Test> tests,
                               ReferenceTable reference, String figures, ResultStore store) {
        StringBuilder rows = new StringBuilder();
        int matched = 0;
        for (Map.Entry<Group, List<Final>> e : byGroup.entrySet()) {
            Group g = e.getKey();
            List<Final> fs = new ArrayList<>(e.getValue());
            fs.sort(Comparator.comparingInt(Final::bits).thenComparing(Final::policy, POLICY_ORDER));
            for (Final f : fs) {
                Optional<ReferenceTable.Entry> ref = reference.find(g.dataset(), g.network(), g.batchNorm(),
                        g.optimizer(), f.bits(), f.policy().pool(), f.policy().beta());
                if (ref.isPresent()) matched++;
                rows.append("<tr><td>").append(html(g.dataset())).append("</td><td>").append(html(g.network()))
                        .append("</td><td>").append(g.batchNorm() ? "yes" : "no").append("</td><td>")
                        .append(html(g.optimizer())).append("</td><td>").append(f.bits()).append("</td><td>")
                        .append(html(f.policy().label())).append("</td><td class=n>").append(g.epochs())
                        .append("</td><td class=n>").append(f.runs()).append("</td><td class=n>")
                        .append(pm(f.mean(), f.std())).append("</td><td class=n>").append(f.diverged())
                        .append("</td>");
                if (ref.isPresent()) {
                    ReferenceTable.Entry r = ref.get();
                    rows.append("<td class=n>").append(pm(r.mean(), r.std())).append("</td><td class=n>")
                            .append(r.runs()).append(" × ").append(r.epochs()).append("</td><td class=n>")
                            .append(String.format(Locale.ROOT, "%+.4f", f.mean() - r.mean())).append("</td>");
                } else {
                    rows.append("<td>—</td><td></td><td></td>");
                }
                rows.append("</tr>\n");
            }
        }
        return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tiebreak report</title>\n<style>"
                + "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                + "td,th{border:1px solid #ccc;padding:3px 8px}td.n{text-align:right}img{margin:6px;max-width:100%}"
                + "</style></head><body>\n<h1>tiebreak report</h1>\n<p>Results: " + html(store.root().toString())
                + ". Reference: " + html(reference.source()) + " (final test accuracy of the reference study, mean ±"
                + " std over its repeats; runs × epochs). " + matched + " of our configurations have a reference"
                + " number; a reference trained for more epochs than ours is shown all the same, so compare the"
                + " epochs column too.</p>\n<table>\n<tr><th>dataset</th><th>network</th><th>batch-norm</th>"
                + "<th>optimizer</th><th>bits</th><th>Jacobian</th><th>epochs</th><th>runs</th>"
                + "<th>final test accuracy (ours)</th><th>diverged</th><th>reference</th><th>reference runs × epochs</th>"
                + "<th>ours − reference</th></tr>\n" + rows + "</table>\n" + effects(tests) + figures
                + "</body></html>\n";
    }

    /** Per setting: does the Jacobian change the final accuracy? (the effects view's tests) */
    private static String effects(java.util.Collection<Test> tests) {
        List<Test> sorted = new ArrayList<>(tests);
        sorted.sort(Comparator.comparing(Test::group, GROUP_ORDER).thenComparingInt(Test::bits).thenComparing(Test::form));
        StringBuilder rows = new StringBuilder();
        for (Test t : sorted) {
            Group g = t.group();
            rows.append("<tr><td>").append(html(g.dataset())).append("</td><td>").append(html(g.network()))
                    .append("</td><td>").append(g.batchNorm() ? "yes" : "no").append("</td><td>")
                    .append(html(g.optimizer())).append("</td><td>").append(t.bits()).append("</td><td>")
                    .append(html(t.form())).append("</td><td class=n>").append(g.epochs()).append("</td><td class=n>")
                    .append(t.jacobians()).append("</td><td class=n>").append(t.runs()[0]).append("</td><td class=n>")
                    .append(stat("%.3g", t.anovaF())).append("</td><td class=n>").append(stat("%.2g", t.anovaP()))
                    .append("</td><td class=n>").append(stat("%+.3f", t.spearman())).append("</td></tr>\n");
        }
        return "<h2>Does the Jacobian change the final accuracy?</h2>\n<p>Per setting (the view <code>effects</code>"
                + " of <code>tiebreak sql</code>, Spark MLlib's ml.stat): one-way ANOVA of the final test accuracy"
                + " across the setting's Jacobians (F and its p-value), and Spearman's rank correlation of log10(1 + B)"
                + " and accuracy; — where a test is undefined (no Jacobian with two runs, fewer than two B values, or"
                + " accuracies that do not vary).</p>\n<table>\n<tr><th>dataset</th><th>network</th>"
                + "<th>batch-norm</th><th>optimizer</th><th>bits</th><th>form</th><th>epochs</th><th>Jacobians</th>"
                + "<th>runs</th><th>ANOVA F</th><th>p</th><th>Spearman ρ</th></tr>\n" + rows + "</table>\n";
    }

    private static String stat(String format, double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, format, v);
    }

    private static String pm(double mean, double std) {
        return Double.isNaN(std) ? String.format(Locale.ROOT, "%.4f", mean)
                : String.format(Locale.ROOT, "%.4f ± %.4f", mean, std);
    }

    static String num(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    static String html(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Groups in page order, for tests. */
    static List<Group> groups(Map<Group, ?> m) { return new ArrayList<>(new LinkedHashMap<>(m).keySet()); }
}
