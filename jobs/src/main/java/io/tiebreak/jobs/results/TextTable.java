package io.tiebreak.jobs.results;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Rows as an aligned text table for a terminal: numbers right-aligned, long cells cut with an ellipsis. */
public final class TextTable {
    private TextTable() {}

    /** Cells are cut to this many characters unless a width is given. */
    public static final int MAX_CELL = 48;

    /** Formats Spark rows with their schema's column names. */
    public static String of(StructType schema, List<Row> rows) {
        return of(schema, rows, MAX_CELL);
    }

    /** As above, cells cut at width characters (0: never cut). */
    public static String of(StructType schema, List<Row> rows, int width) {
        List<String> header = new ArrayList<>();
        for (StructField f : schema.fields()) header.add(f.name());
        List<List<String>> cells = new ArrayList<>();
        for (Row r : rows) {
            List<String> line = new ArrayList<>();
            for (int i = 0; i < r.length(); i++) line.add(cell(r.get(i), width));
            cells.add(line);
        }
        return of(header, cells);
    }

    public static String of(List<String> header, List<List<String>> rows) {
        int n = header.size();
        int[] width = new int[n];
        boolean[] numeric = new boolean[n];
        for (int i = 0; i < n; i++) {
            width[i] = header.get(i).length();
            numeric[i] = !rows.isEmpty();
        }
        for (List<String> r : rows) {
            for (int i = 0; i < n; i++) {
                width[i] = Math.max(width[i], r.get(i).length());
                if (!r.get(i).isEmpty() && !r.get(i).equals("null") && !isNumber(r.get(i))) numeric[i] = false;
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, width, new boolean[n]);
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append("  ");
            sb.append("-".repeat(width[i]));
        }
        sb.append('\n');
        for (List<String> r : rows) line(sb, r, width, numeric);
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] width, boolean[] right) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) l.append("  ");
            String c = cells.get(i);
            String pad = " ".repeat(width[i] - c.length());
            l.append(right[i] ? pad + c : c + pad);
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }

    /** A value as a cell: doubles with up to 4 decimals (or scientific when tiny), arrays in brackets. */
    public static String cell(Object v) {
        return cell(v, MAX_CELL);
    }

    /** As above, cut at width characters with an ellipsis (0: never cut). */
    public static String cell(Object v, int width) {
        String s;
        if (v == null) s = "null";
        else if (v instanceof Double || v instanceof Float) s = number(((Number) v).doubleValue());
        else if (v instanceof scala.collection.Seq) {
            List<String> parts = new ArrayList<>();
            scala.collection.Iterator<?> it = ((scala.collection.Seq<?>) v).iterator();
            while (it.hasNext()) parts.add(cell(it.next(), 0));
            s = "[" + String.join(", ", parts) + "]";
        } else if (v instanceof List) {
            List<String> parts = new ArrayList<>();
            for (Object o : (List<?>) v) parts.add(cell(o, 0));
            s = "[" + String.join(", ", parts) + "]";
        } else s = v.toString();
        s = s.replace('\n', ' ');
        return width > 0 && s.length() > width ? s.substring(0, width - 1) + "…" : s;
    }

    static String number(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) return Double.toString(d);
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        if (Math.abs(d) < 1e-3) return String.format(Locale.ROOT, "%.3g", d);
        return String.format(Locale.ROOT, "%.4f", d).replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity");
        }
    }
}
