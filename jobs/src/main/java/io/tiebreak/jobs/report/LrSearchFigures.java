package io.tiebreak.jobs.report;

import static org.apache.spark.sql.functions.col;

import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Tables;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The lr-search section: per (dataset, network, batch-norm, optimizer, precision), each trial's learning rate
 * against its final test accuracy (log x), one colour per MaxPool Jacobian as in the other figures, pruned and
 * diverged trials drawn as crosses at their last accuracy; and a table of each configuration's trials and chosen lr.
 */
final class LrSearchFigures {
    private LrSearchFigures() {}

    record Written(String html, List<Path> images) {}

    record Key(String dataset, String network, boolean batchNorm, String optimizer, String precision) {
        String title() {
            return dataset + " · " + network + (batchNorm ? " + batch-norm" : "") + " · " + optimizer + " · " + precision;
        }

        String slug() {
            return (dataset + "-" + network + "-" + (batchNorm ? "bn" : "nobn") + "-" + optimizer + "-" + precision)
                    .replaceAll("[^A-Za-z0-9._-]", "_");
        }
    }

    record Trial(double lr, double accuracy, String status) {}

    static Written write(ResultStore store, Path out) throws IOException {
        List<Row> rows = store.read(Tables.Table.LR_TRIALS)
                .select("dataset", "network", "batch_norm", "optimizer", "precision", "pool", "beta", "pool_form",
                        "kind", "lr", "objective", "status", "epoch_test_accuracy", "trial")
                .orderBy(col("trial")).collectAsList();
        if (rows.isEmpty()) return new Written("", List.of());
        Map<Key, Map<Report.Policy, List<Trial>>> trials = new TreeMap<>(java.util.Comparator.comparing(Key::title));
        Map<Key, Map<Report.Policy, Trial>> best = new LinkedHashMap<>();
        for (Row r : rows) {
            Key k = new Key(r.getString(0), r.getString(1), r.getBoolean(2), r.getString(3), r.getString(4));
            Report.Policy p = new Report.Policy(r.getString(5), r.isNullAt(6) ? null : r.getDouble(6), r.getString(7));
            List<Double> curve = r.getList(12);
            double last = curve.isEmpty() ? Double.NaN : curve.get(curve.size() - 1);
            Trial t = new Trial(r.getDouble(9), r.isNullAt(10) || Double.isNaN(r.getDouble(10)) ? last : r.getDouble(10),
                    r.getString(11));
            if (r.getString(8).equals("best")) best.computeIfAbsent(k, x -> new LinkedHashMap<>()).put(p, t);
            else trials.computeIfAbsent(k, x -> new TreeMap<>(Report.POLICY_ORDER)).computeIfAbsent(p, x -> new ArrayList<>()).add(t);
        }
        List<Path> images = new ArrayList<>();
        StringBuilder html = new StringBuilder("<h2>Learning-rate search</h2>\n<p>Each trial's learning rate against"
                + " its final test accuracy (pruned and diverged trials as crosses, at their last epoch's accuracy); the"
                + " chosen lr per configuration is its best completed trial, which sweeps with <code>lr: best</code>"
                + " use.</p>\n<table>\n<tr><th>setting</th><th>Jacobian</th><th>trials</th><th>completed</th>"
                + "<th>pruned</th><th>diverged or failed</th><th>chosen lr</th><th>its test accuracy</th></tr>\n");
        for (Map.Entry<Key, Map<Report.Policy, List<Trial>>> e : trials.entrySet()) {
            Key k = e.getKey();
            List<Report.Policy> order = new ArrayList<>(e.getValue().keySet()); // sorted: a TreeMap by POLICY_ORDER
            XYChart c = new XYChartBuilder().width(Report.PANEL_W + 200).height(Report.PANEL_H + 40)
                    .xAxisTitle("learning rate (log scale)").yAxisTitle("final test accuracy").build();
            c.getStyler().setXAxisLogarithmic(true);
            c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
            c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
            c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
            c.getStyler().setPlotGridLinesStroke(Figures.GRID);
            c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            c.getStyler().setMarkerSize(10);
            List<Double> all = new ArrayList<>();
            for (Report.Policy p : order) {
                List<Trial> ts = e.getValue().get(p);
                ts.forEach(t -> all.add(t.accuracy()));
                int i = order.indexOf(p);
                List<Trial> done = ts.stream().filter(t -> t.status().equals("completed")).toList();
                List<Trial> stopped = ts.stream().filter(t -> !t.status().equals("completed") && !Double.isNaN(t.accuracy())).toList();
                if (!done.isEmpty()) {
                    XYSeries s = c.addSeries(p.label(), done.stream().map(Trial::lr).toList(),
                            done.stream().map(Trial::accuracy).toList());
                    s.setMarker(SeriesMarkers.CIRCLE);
                    s.setMarkerColor(Figures.jacobian(i, order.size()));
                }
                if (!stopped.isEmpty()) {
                    XYSeries s = c.addSeries(p.label() + " pruned/diverged", stopped.stream().map(Trial::lr).toList(),
                            stopped.stream().map(Trial::accuracy).toList());
                    s.setMarker(SeriesMarkers.CROSS);
                    s.setMarkerColor(Figures.jacobian(i, order.size()));
                }
                Trial b = best.getOrDefault(k, Map.of()).get(p);
                html.append("<tr><td>").append(Report.html(k.title())).append("</td><td>").append(Report.html(p.label()))
                        .append("</td><td class=n>").append(ts.size()).append("</td><td class=n>").append(done.size())
                        .append("</td><td class=n>").append(ts.stream().filter(t -> t.status().equals("pruned")).count())
                        .append("</td><td class=n>").append(ts.stream().filter(t -> t.status().equals("diverged")
                                || t.status().equals("failed")).count())
                        .append("</td><td class=n>").append(b == null ? "—" : String.format(Locale.ROOT, "%.3g", b.lr()))
                        .append("</td><td class=n>").append(b == null ? "—" : String.format(Locale.ROOT, "%.4f", b.accuracy()))
                        .append("</td></tr>\n");
            }
            if (c.getSeriesMap().isEmpty()) continue;
            Figures.accuracyAxis(c.getStyler(), all);
            Path p = out.resolve("lr-search-" + k.slug() + ".png");
            ImageIO.write(Figures.titled(BitmapEncoder.getBufferedImage(c),
                    "Learning-rate search: final test accuracy of each trial", k.title()), "png", p.toFile());
            images.add(p);
        }
        html.append("</table>\n");
        for (Path p : images) html.append("<img src=\"").append(p.getFileName()).append("\" alt=\"lr-search trials\">\n");
        return new Written(html.toString(), images);
    }
}
