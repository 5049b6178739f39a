package io.tiebreak.jobs.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log10;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Tables;
import java.awt.Color;
import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The zones figures: for each setting axis (precision, network, batch size, batch-norm, epoch of the weights), bars
 * of the share of minibatches in each zone per value of that axis, everything else fixed (seeds pooled); and per
 * setting, a histogram of log10 of the L1 norm of g_A - g_B at the working precision, one line per precision (only
 * minibatches where the policies differ have a norm to show). Drawn from whatever the zones table holds, so the
 * shipped grids (conf/zones) give the study's figures.
 */
final class ZoneFigures {
    private ZoneFigures() {}

    /** The columns that make a setting: the zone configuration without its seed (and the seed's run). */
    static final List<String> SETTING = List.of("dataset", "train_split", "train_subset", "network", "batch_norm",
            "precision", "bits", "policy_a", "policy_b", "relu_alpha", "batch_size", "weights", "weights_epoch");

    /** An axis a bar figure varies, the setting columns it covers, and its caption. */
    record Axis(String name, List<String> columns, String caption) {}

    static final List<Axis> AXES = List.of(
            new Axis("precision", List.of("precision", "bits"), "precision"),
            new Axis("network", List.of("network"), "network"),
            new Axis("batch-size", List.of("batch_size"), "batch size"),
            new Axis("batch-norm", List.of("batch_norm"), "batch-norm"),
            new Axis("epoch", List.of("weights", "weights_epoch"), "weights"));

    /** Zone counts of one setting. */
    record Setting(Map<String, Object> values, long agree, long bifurcation, long compensation) {
        long minibatches() { return agree + bifurcation + compensation; }

        double share(long n) { return 100.0 * n / Math.max(1, minibatches()); }

        Object get(String column) { return values.get(column); }

        /** The values of every setting column but the given ones: what a figure holds fixed. */
        Map<String, Object> without(List<String> columns) {
            Map<String, Object> m = new LinkedHashMap<>(values);
            columns.forEach(m::remove);
            return m;
        }
    }

    /** The reference study's zones at initialization (docs/design.md, "Reference numbers"): % of minibatches that differ. */
    static Optional<String> reference(Setting s) {
        if (!"cifar10".equals(s.get("dataset")) || !"vgg11".equals(s.get("network"))
                || !Boolean.FALSE.equals(s.get("batch_norm")) || !Integer.valueOf(128).equals(s.get("batch_size"))
                || !"init".equals(s.get("weights")) || !"first".equals(s.get("policy_a"))
                || !"min-norm".equals(s.get("policy_b"))) {
            return Optional.empty();
        }
        return switch ((Integer) s.get("bits")) {
            case 16 -> Optional.of("100%");
            case 32 -> Optional.of("about 55%");
            case 64 -> Optional.of("0%");
            default -> Optional.empty();
        };
    }

    record Written(String html, List<Path> images) {}

    static Written write(ResultStore store, Path out) throws IOException {
        Dataset<Row> zones = store.read(Tables.Table.ZONES);
        Column[] keys = SETTING.stream().map(c -> col(c)).toArray(Column[]::new);
        List<Setting> settings = new ArrayList<>();
        for (Row r : zones.groupBy(keys).agg(
                        sum(when(col("zone").equalTo("agree"), 1).otherwise(0)),
                        sum(when(col("zone").equalTo("bifurcation"), 1).otherwise(0)),
                        sum(when(col("zone").equalTo("compensation"), 1).otherwise(0)))
                .collectAsList()) {
            Map<String, Object> values = new LinkedHashMap<>();
            for (int i = 0; i < SETTING.size(); i++) values.put(SETTING.get(i), r.get(i));
            int n = SETTING.size();
            settings.add(new Setting(values, r.getLong(n), r.getLong(n + 1), r.getLong(n + 2)));
        }
        if (settings.isEmpty()) return new Written("", List.of());
        settings.sort(SETTING_ORDER);

        List<Path> images = new ArrayList<>();
        StringBuilder html = new StringBuilder("<h2>Zones</h2>\n<p>Share of minibatches where the gradients of two"
                + " MaxPool Jacobians agree bitwise, differ also in fp64 (bifurcation) or differ only at the working"
                + " precision (compensation); seeds pooled. The reference column is the study's share of minibatches"
                + " that differ, for VGG11 on CIFAR-10 at initialization with batch 128.</p>\n");
        html.append(table(settings));
        for (Axis axis : AXES) {
            Map<Map<String, Object>, List<Setting>> groups = new LinkedHashMap<>();
            for (Setting s : settings) groups.computeIfAbsent(s.without(axis.columns()), k -> new ArrayList<>()).add(s);
            for (Map.Entry<Map<String, Object>, List<Setting>> g : groups.entrySet()) {
                if (g.getValue().size() < 2) continue;
                Path p = out.resolve("zones-by-" + axis.name() + "-" + slug(g.getKey()) + ".png");
                ImageIO.write(Figures.titled(BitmapEncoder.getBufferedImage(bars(axis, g.getKey(), g.getValue())),
                        "Zones by " + axis.caption() + " (share of minibatches)", caption(g.getKey(), axis.columns())),
                        "png", p.toFile());
                images.add(p);
                html.append("<img src=\"").append(p.getFileName()).append("\" alt=\"zones by ").append(axis.caption())
                        .append("\">\n");
            }
        }
        // Histograms: bins of a quarter decade, counted by Spark.
        Column bin = floor(log10(col("l1")).multiply(4));
        List<String> histogramKeys = new ArrayList<>(SETTING);
        histogramKeys.removeAll(List.of("precision", "bits"));
        Map<Map<String, Object>, Map<String, TreeMap<Long, Long>>> histograms = new LinkedHashMap<>();
        List<Column> by = new ArrayList<>();
        histogramKeys.forEach(c -> by.add(col(c)));
        by.add(col("bits"));
        by.add(col("precision"));
        by.add(bin.as("bin"));
        for (Row r : zones.filter(col("l1").gt(0)).groupBy(by.toArray(new Column[0])).agg(count(lit(1)))
                .orderBy(col("bits")).collectAsList()) {
            Map<String, Object> key = new LinkedHashMap<>();
            for (int i = 0; i < histogramKeys.size(); i++) key.put(histogramKeys.get(i), r.get(i));
            int n = histogramKeys.size();
            histograms.computeIfAbsent(key, k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.getString(n + 1), k -> new TreeMap<>()).put(r.getLong(n + 2), r.getLong(n + 3));
        }
        for (Map.Entry<Map<String, Object>, Map<String, TreeMap<Long, Long>>> h : histograms.entrySet()) {
            Path p = out.resolve("zones-l1-" + slug(h.getKey()) + ".png");
            ImageIO.write(Figures.titled(BitmapEncoder.getBufferedImage(histogram(h.getKey(), h.getValue())),
                    "log10 of ||g_A - g_B||_1 over the minibatches that differ", caption(h.getKey(), List.of())),
                    "png", p.toFile());
            images.add(p);
            html.append("<img src=\"").append(p.getFileName()).append("\" alt=\"log10 of the L1 difference\">\n");
        }
        return new Written(html.toString(), images);
    }

    static final Comparator<Setting> SETTING_ORDER = Comparator
            .comparing((Setting s) -> Objects.toString(s.get("dataset")))
            .thenComparing(s -> Objects.toString(s.get("network")))
            .thenComparing(s -> Objects.toString(s.get("batch_norm")))
            .thenComparing(s -> Objects.toString(s.get("policy_a")) + "|" + s.get("policy_b"))
            .thenComparing(s -> (Integer) s.get("batch_size"))
            .thenComparing(s -> s.get("weights_epoch") == null ? -1 : (Integer) s.get("weights_epoch"))
            .thenComparing(s -> (Integer) s.get("bits"));

    private static String table(List<Setting> settings) {
        StringBuilder sb = new StringBuilder("<table>\n<tr><th>dataset</th><th>network</th><th>batch-norm</th>"
                + "<th>bits</th><th>batch</th><th>policies</th><th>weights</th><th>minibatches</th><th>agree</th>"
                + "<th>bifurcation</th><th>compensation</th><th>reference (differ)</th></tr>\n");
        for (Setting s : settings) {
            sb.append("<tr><td>").append(Report.html(Objects.toString(s.get("dataset")))).append("</td><td>")
                    .append(Report.html(Objects.toString(s.get("network")))).append("</td><td>")
                    .append(Boolean.TRUE.equals(s.get("batch_norm")) ? "yes" : "no").append("</td><td>")
                    .append(s.get("bits")).append("</td><td class=n>").append(s.get("batch_size")).append("</td><td>")
                    .append(Report.html(s.get("policy_a") + " vs " + s.get("policy_b"))).append("</td><td>")
                    .append(weights(s)).append("</td><td class=n>").append(s.minibatches()).append("</td>");
            for (long n : new long[] {s.agree(), s.bifurcation(), s.compensation()}) {
                sb.append("<td class=n>").append(String.format(Locale.ROOT, "%.1f%%", s.share(n))).append("</td>");
            }
            sb.append("<td>").append(reference(s).orElse("—")).append("</td></tr>\n");
        }
        return sb.append("</table>\n").toString();
    }

    private static String weights(Setting s) {
        return s.get("weights_epoch") == null ? "init" : "epoch " + s.get("weights_epoch");
    }

    /** The value of an axis for one setting, as a bar label. */
    private static String label(Axis axis, Setting s) {
        return switch (axis.name()) {
            case "precision" -> s.get("bits") + " bits";
            case "batch-size" -> "batch " + s.get("batch_size");
            case "batch-norm" -> Boolean.TRUE.equals(s.get("batch_norm")) ? "batch-norm" : "no batch-norm";
            case "epoch" -> weights(s);
            default -> Objects.toString(s.get(axis.columns().get(0)));
        };
    }

    /** Stacked bars: % agree, bifurcation, compensation for each value of the axis. */
    static CategoryChart bars(Axis axis, Map<String, Object> fixed, List<Setting> settings) {
        List<Setting> ordered = new ArrayList<>(settings);
        ordered.sort(SETTING_ORDER);
        CategoryChart c = new CategoryChartBuilder().width(Report.PANEL_W + 120).height(Report.PANEL_H + 40)
                .xAxisTitle(axis.caption() + " (minibatches)").yAxisTitle("% of minibatches").build();
        c.getStyler().setStacked(true);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        c.getStyler().setYAxisDecimalPattern("#");
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setSeriesColors(new Color[] {Figures.AGREE, Figures.BIFURCATION, Figures.COMPENSATION});
        List<String> x = ordered.stream().map(s -> label(axis, s) + " (" + s.minibatches() + ")").toList();
        c.addSeries("agree", x, ordered.stream().map(s -> (Number) s.share(s.agree())).toList());
        c.addSeries("bifurcation", x, ordered.stream().map(s -> (Number) s.share(s.bifurcation())).toList());
        c.addSeries("compensation", x, ordered.stream().map(s -> (Number) s.share(s.compensation())).toList());
        return c;
    }

    /** One step line per precision: minibatches per quarter decade of the L1 difference. */
    static XYChart histogram(Map<String, Object> fixed, Map<String, TreeMap<Long, Long>> byPrecision) {
        XYChart c = new XYChartBuilder().width(Report.PANEL_W + 120).height(Report.PANEL_H + 40)
                .xAxisTitle("log10 L1 difference (quarter-decade bins)").yAxisTitle("minibatches").build();
        Figures.integerYAxis(c.getStyler());
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
        for (Map.Entry<String, TreeMap<Long, Long>> p : byPrecision.entrySet()) {
            TreeMap<Long, Long> bins = p.getValue();
            // Closed steps: from the left edge of the first bin to the right edge of the last, back to zero.
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
            xs.add(bins.firstKey() / 4.0);
            ys.add(0.0);
            for (long b = bins.firstKey(); b <= bins.lastKey(); b++) {
                xs.add(b / 4.0);
                ys.add((double) bins.getOrDefault(b, 0L));
            }
            xs.add((bins.lastKey() + 1) / 4.0);
            ys.add(0.0);
            long n = bins.values().stream().mapToLong(Long::longValue).sum();
            XYSeries s = c.addSeries(p.getKey() + " (" + n + " differ)", xs, ys);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(Figures.precision(p.getKey()));
        }
        return c;
    }

    /** The fixed settings of a figure, in words. */
    private static String caption(Map<String, Object> fixed, List<String> varying) {
        List<String> parts = new ArrayList<>();
        parts.add(Objects.toString(fixed.get("dataset")));
        if (!varying.contains("network") && fixed.containsKey("network")) parts.add(Objects.toString(fixed.get("network")));
        if (fixed.containsKey("batch_norm") && !varying.contains("batch_norm")) {
            parts.add(Boolean.TRUE.equals(fixed.get("batch_norm")) ? "batch-norm" : "no batch-norm");
        }
        if (fixed.containsKey("bits") && !varying.contains("bits")) parts.add(fixed.get("bits") + " bits");
        if (fixed.containsKey("batch_size") && !varying.contains("batch_size")) parts.add("batch " + fixed.get("batch_size"));
        parts.add(fixed.get("policy_a") + " vs " + fixed.get("policy_b"));
        if (!varying.contains("weights")) {
            parts.add(fixed.get("weights_epoch") == null ? "init" : "epoch " + fixed.get("weights_epoch"));
        }
        return String.join(" · ", parts);
    }

    /** A file name part from a figure's fixed settings: values only, weights as init or epochN, no nulls. */
    static String slug(Map<String, Object> fixed) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Object> e : fixed.entrySet()) {
            if (e.getValue() == null || e.getKey().equals("weights_epoch")) continue;
            if (e.getKey().equals("weights")) {
                parts.add(fixed.get("weights_epoch") == null ? "init" : "epoch" + fixed.get("weights_epoch"));
            } else if (e.getKey().equals("batch_norm")) {
                parts.add(Boolean.TRUE.equals(e.getValue()) ? "bn" : "nobn");
            } else if (e.getKey().equals("batch_size")) {
                parts.add("b" + e.getValue());
            } else if (e.getKey().equals("train_subset") && Integer.valueOf(0).equals(e.getValue())) {
                continue;
            } else {
                parts.add(Objects.toString(e.getValue()));
            }
        }
        return String.join("-", parts).replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
