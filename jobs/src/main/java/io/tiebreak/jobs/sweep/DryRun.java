package io.tiebreak.jobs.sweep;

import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.Planner;
import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.jobs.gridjob.DataCatalog;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.TextTable;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import org.apache.spark.sql.SparkSession;

/** {@code tiebreak sweep --dry-run}: the grid checked and its runs listed, with what earlier sweeps did to each. */
final class DryRun {
    private DryRun() {}

    static final int MAX_LISTED = 200;

    static int print(SparkSession spark, Grid grid, String results, String data, boolean force, PrintStream out) {
        ResultStore store = new ResultStore(spark, results);
        Map<String, Double> best = store.bestLrs();
        Planner.Plan plan = Planner.plan(grid, new DataCatalog(data, spark.sparkContext().hadoopConfiguration()),
                id -> best.containsKey(id) ? OptionalDouble.of(best.get(id)) : OptionalDouble.empty(), force);
        Map<String, ResultStore.RunState> states = store.runStates();
        List<String> columns = new ArrayList<>(List.of("run_id", "state"));
        List<String> varying = RunSpec.varyingColumns(plan.runs());
        columns.addAll(varying);
        columns.add("seed");
        List<List<String>> rows = new ArrayList<>();
        for (RunSpec r : plan.runs()) {
            if (rows.size() == MAX_LISTED) break;
            ResultStore.RunState st = states.get(r.runId());
            List<String> row = new ArrayList<>();
            row.add(r.runId());
            row.add(st == null ? "to run" : st.status().id() + (st.status().isFinal() ? "" : ", will retry"));
            for (String c : varying) row.add(TextTable.cell(value(r, c)));
            row.add(Long.toString(r.seed()));
            rows.add(row);
        }
        out.print(TextTable.of(columns, rows));
        if (plan.runs().size() > MAX_LISTED) out.printf("... and %d more%n", plan.runs().size() - MAX_LISTED);
        out.printf("%s: %d runs%s; the grid is valid%n", grid.name(), plan.runs().size(),
                plan.duplicatesRemoved() > 0 ? " (" + plan.duplicatesRemoved() + " duplicate points merged)" : "");
        return 0;
    }

    private static Object value(RunSpec r, String column) {
        for (RunSpec.Field f : RunSpec.FIELDS) if (f.name().equals(column)) return f.value().apply(r);
        return Objects.toString(null);
    }
}
