package io.tiebreak.jobs.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.style.AxesChartStyler;

/**
 * What every figure of the report shares, so a reader learns it once: one colour per precision in every figure (and
 * never a precision colour for anything else), shades of green for MaxPool Jacobians from B = 0 (darkest) up, grey
 * and oranges for zones; headings drawn above the chart and wrapped, never cut; value axes fitted to the data.
 */
final class Figures {
    private Figures() {}

    /** fp16 red, mixed purple, fp32 blue, fp64 near-black, wherever a precision is drawn. */
    static Color precision(String p) {
        return switch (p) {
            case "fp16" -> new Color(0xd6, 0x27, 0x28);
            case "mixed" -> new Color(0x94, 0x67, 0xbd);
            case "fp32" -> new Color(0x1f, 0x77, 0xb4);
            case "fp64" -> new Color(0x33, 0x33, 0x33);
            default -> Color.GRAY;
        };
    }

    private static final Color[] GREENS = {new Color(0x00, 0x45, 0x29), new Color(0x00, 0x68, 0x37),
        new Color(0x23, 0x84, 0x43), new Color(0x41, 0xab, 0x5d), new Color(0x78, 0xc6, 0x79), new Color(0x9a, 0xd2, 0x7e)};

    /** The i-th of n MaxPool Jacobians (in the report's order: B = 0, 1, 10, ...), darkest first. */
    static Color jacobian(int i, int n) {
        if (n <= 1) return GREENS[0];
        return GREENS[Math.round((float) i * (GREENS.length - 1) / (n - 1))];
    }

    /**
     * Line width of the i-th of n lines: the first drawn widest, so that a line that coincides with a later one
     * (B = 0 and B = 1 often train alike) still shows around it.
     */
    static float width(int i, int n) {
        return n <= 1 ? 2f : 5f - 3.5f * i / (n - 1);
    }

    static final Color AGREE = new Color(0xbd, 0xbd, 0xbd);
    static final Color BIFURCATION = new Color(0xe6, 0x55, 0x0d);
    static final Color COMPENSATION = new Color(0xfd, 0xd0, 0xa2);

    static final BasicStroke GRID = new BasicStroke(0.5f);

    /** Counts on the y axis: labels at whole numbers only (XChart would also label 0.5, 1.5 ...). */
    static void integerYAxis(AxesChartStyler s) {
        s.setyAxisTickLabelsFormattingFunction(v -> Math.abs(v - Math.rint(v)) < 1e-9
                ? String.format(Locale.ROOT, "%d", Math.round(v)) : "");
    }

    /** Epochs on the x axis: labels at whole numbers only. */
    static void integerXAxis(AxesChartStyler s) {
        s.setxAxisTickLabelsFormattingFunction(v -> Math.abs(v - Math.rint(v)) < 1e-9
                ? String.format(Locale.ROOT, "%d", Math.round(v)) : "");
    }

    /**
     * An accuracy axis fitted to the values (padded, kept within 0..1): a 0..1 axis flattens 0.77 against 0.79.
     * Values that span most of 0..1 (a collapsed run beside a trained one) keep the whole range.
     */
    static void accuracyAxis(AxesChartStyler s, List<Double> values) {
        double lo = 1, hi = 0;
        for (double v : values) {
            if (Double.isNaN(v)) continue;
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        if (lo > hi) return;
        double pad = Math.max(0.01, (hi - lo) * 0.1);
        lo = Math.max(0, Math.floor((lo - pad) * 50) / 50);
        hi = Math.min(1, Math.ceil((hi + pad) * 50) / 50);
        s.setYAxisMin(lo).setYAxisMax(hi);
    }

    /** The image under a heading: a bold title and a subtitle, each wrapped to the image's width. */
    static BufferedImage titled(BufferedImage body, String title, String subtitle) {
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        Font bold = new Font(Font.SANS_SERIF, Font.BOLD, 15), plain = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        int width = body.getWidth() - 20;
        List<String> titleLines = wrap(title, pg.getFontMetrics(bold), width);
        List<String> subLines = subtitle == null || subtitle.isEmpty() ? List.of() : wrap(subtitle, pg.getFontMetrics(plain), width);
        pg.dispose();
        int line = 19, top = 8 + line * (titleLines.size() + subLines.size()) + 6;
        BufferedImage all = new BufferedImage(body.getWidth(), body.getHeight() + top, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, all.getWidth(), all.getHeight());
        g.setColor(Color.BLACK);
        int y = 8 + 15;
        g.setFont(bold);
        for (String l : titleLines) {
            g.drawString(l, 10, y);
            y += line;
        }
        g.setFont(plain);
        for (String l : subLines) {
            g.drawString(l, 10, y);
            y += line;
        }
        g.drawImage(body, 0, top, null);
        g.dispose();
        return all;
    }

    static List<String> wrap(String text, FontMetrics fm, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String word : text.split(" ")) {
            String next = cur.length() == 0 ? word : cur + " " + word;
            if (cur.length() > 0 && fm.stringWidth(next) > width) {
                lines.add(cur.toString());
                cur = new StringBuilder(word);
            } else {
                cur = new StringBuilder(next);
            }
        }
        if (cur.length() > 0) lines.add(cur.toString());
        return lines;
    }
}
