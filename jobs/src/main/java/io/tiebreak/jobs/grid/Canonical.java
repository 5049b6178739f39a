package io.tiebreak.jobs.grid;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The canonical text of a config, and the ids hashed from it. Keys are sorted and numbers written in their shortest
 * round-tripping decimal form (exact BigDecimal arithmetic, so every JVM writes the same text), so two grids that
 * describe the same run in different orders or spellings (5e-4, 0.0005) give it the same run_id.
 */
public final class Canonical {
    private Canonical() {}

    static String json(RunSpec spec, List<RunSpec.Field> fields) {
        SortedMap<String, Object> values = new TreeMap<>();
        for (RunSpec.Field f : fields) if (f.inCanonical(spec)) values.put(f.name(), f.value().apply(spec));
        return json(RunSpec.CANONICAL_VERSION, values);
    }

    /** {"v":version, then the values by key in sorted order}. */
    static String json(int version, SortedMap<String, Object> values) {
        return "{\"v\":" + version + "," + values.entrySet().stream()
                .map(e -> "\"" + e.getKey() + "\":" + value(e.getValue()))
                .collect(Collectors.joining(",")) + "}";
    }

    private static String value(Object v) {
        if (v == null) return "null";
        if (v instanceof Double) return number((Double) v);
        if (v instanceof Number || v instanceof Boolean) return v.toString();
        if (v instanceof List) {
            return ((List<?>) v).stream().map(Canonical::value).collect(Collectors.joining(",", "[", "]"));
        }
        return "\"" + v.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** Shortest decimal that parses back to exactly d: 0.0005, 1000, 1e-05 stays 0.00001. */
    public static String number(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) return "\"" + d + "\"";
        if (d == 0) return "0";
        BigDecimal exact = new BigDecimal(d);
        for (int p = 1; p <= 17; p++) {
            BigDecimal b = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (b.doubleValue() == d) {
                b = b.stripTrailingZeros();
                return Math.abs(d) >= 1e-7 && Math.abs(d) < 1e16 ? b.toPlainString() : b.toString();
            }
        }
        throw new AssertionError("17 digits always round-trip a double");
    }

    /** First 16 hex digits (64 bits) of the SHA-256 of text. */
    public static String hashId(String text) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
