package io.tiebreak.jobs.zones;

import io.tiebreak.jobs.grid.ZonePlanner;
import io.tiebreak.jobs.grid.ZoneSpec;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Tables;
import io.tiebreak.jobs.results.TextTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The table printed before (dry run) and after a zones job: one line per configuration, showing only the settings
 * that vary in the grid, the minibatches committed out of those planned and the share of each zone among them.
 * Read back from the committed zones table, so it shows what a query would.
 */
final class ZoneSummary {
    private ZoneSummary() {}

    static final int MAX_LISTED = 200;

    /** Config columns whose value differs between configurations of the plan. */
    static List<ZoneSpec.Field> varying(List<ZonePlanner.Config> configs) {
        List<ZoneSpec.Field> out = new ArrayList<>();
        for (ZoneSpec.Field f : ZoneSpec.FIELDS) {
            Set<String> values = new HashSet<>();
            for (ZonePlanner.Config c : configs) values.add(Objects.toString(f.value().apply(c.spec())));
            if (values.size() > 1) out.add(f);
        }
        return out;
    }

    static String table(ResultStore store, ZonePlanner.Plan plan) {
        Set<String> ids = new HashSet<>();
        for (ZonePlanner.Config c : plan.configs()) ids.add(c.spec().zoneId());
        Map<String, long[]> counts = new HashMap<>(); // zone_id -> agree, bifurcation, compensation
        for (Row r : store.read(Tables.Table.ZONES).filter(functions.col("zone_id").isin(ids.toArray()))
                .groupBy("zone_id", "zone").count().collectAsList()) {
            long[] c = counts.computeIfAbsent(r.getString(0), k -> new long[3]);
            c[switch (r.getString(1)) { case "agree" -> 0; case "bifurcation" -> 1; default -> 2; }] += r.getLong(2);
        }
        List<ZoneSpec.Field> keys = varying(plan.configs());
        List<String> header = new ArrayList<>(List.of("zone_id"));
        for (ZoneSpec.Field f : keys) header.add(f.name());
        header.addAll(List.of("minibatches", "agree", "bifurcation", "compensation"));
        List<List<String>> rows = new ArrayList<>();
        for (ZonePlanner.Config c : plan.configs()) {
            if (rows.size() == MAX_LISTED) break;
            long[] n = counts.getOrDefault(c.spec().zoneId(), new long[3]);
            long done = n[0] + n[1] + n[2];
            List<String> row = new ArrayList<>(List.of(c.spec().zoneId()));
            for (ZoneSpec.Field f : keys) row.add(TextTable.cell(f.value().apply(c.spec())));
            row.add(done + "/" + c.minibatches());
            for (long k : n) row.add(done == 0 ? "" : String.format(Locale.ROOT, "%.1f%%", 100.0 * k / done));
            rows.add(row);
        }
        String more = plan.configs().size() > MAX_LISTED
                ? String.format("... and %d more configurations%n", plan.configs().size() - MAX_LISTED) : "";
        return TextTable.of(header, rows) + more;
    }
}
