package io.tiebreak.jobs.stats;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.when;

import io.tiebreak.jobs.grid.RunSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.functions;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.stat.ANOVATest;
import org.apache.spark.ml.stat.Correlation;
import org.apache.spark.ml.stat.Summarizer;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Does the MaxPool Jacobian change the final test accuracy? Per setting (every config axis but the Jacobian, the
 * learning rate, the seed and the device: dataset, network, batch-norm, optimizer, precision, pool form, epochs, ...),
 * the final test accuracies of its finished runs (completed and diverged, the latter scored as the study scored them)
 * grouped by Jacobian, with Spark MLlib's {@code ml.stat}:
 * <ul>
 *   <li>{@link Summarizer}: count, mean, std (sample, n - 1), min and max per Jacobian;</li>
 *   <li>{@link ANOVATest}: one-way ANOVA of accuracy across the setting's Jacobians (F, p, degrees of freedom);</li>
 *   <li>{@link Correlation} (Spearman): rank correlation of log10(1 + B) and accuracy over the setting's runs whose
 *   Jacobian has a B (beta:B, and first = B 0, min-norm = B 1, as the study's composite form gives them).</li>
 * </ul>
 * A derived view of the {@code runs} view, whatever stores the tables underneath: one row per setting and Jacobian,
 * the setting's tests repeated on each of its rows. Tests are null where they are undefined (one Jacobian, or no
 * Jacobian with two runs; fewer than two B values for Spearman) and NaN where the data has no variance to test.
 * The lr is left out of the setting because {@code lr: best} picks one per Jacobian, as the study did.
 */
public final class Effects {
    private Effects() {}

    /** The view's name in {@code tiebreak sql}. */
    public static final String VIEW = "effects";

    /** Config columns that do not define a setting: the Jacobian under test, and what varies between repeats. */
    private static final Set<String> NOT_SETTING = Set.of("pool", "beta", "lr", "seed", "device");

    /** Setting columns shown first, in this order; the others only enter setting_id. */
    public static final List<String> SHOWN = List.of("dataset", "network", "batch_norm", "optimizer", "precision",
            "bits", "pool_form", "epochs");

    static final StructType TESTS = DataTypes.createStructType(List.of(
            DataTypes.createStructField("setting_id", DataTypes.StringType, false),
            DataTypes.createStructField("jacobians", DataTypes.IntegerType, false),
            DataTypes.createStructField("anova_f", DataTypes.DoubleType, true),
            DataTypes.createStructField("anova_p", DataTypes.DoubleType, true),
            DataTypes.createStructField("anova_dof", DataTypes.LongType, true),
            DataTypes.createStructField("spearman_rho", DataTypes.DoubleType, true),
            DataTypes.createStructField("spearman_runs", DataTypes.LongType, false)));

    /** Registers the view {@value #VIEW} over the registered {@code runs} view. */
    public static void register(SparkSession spark) {
        of(spark.table("runs")).createOrReplaceTempView(VIEW);
    }

    /**
     * The effects of a runs table (one row per run: its latest attempt). Runs per setting are few (repeats times
     * Jacobians), so each setting's tests run on its runs alone: one small MLlib job each.
     */
    public static Dataset<Row> of(Dataset<Row> runs) {
        SparkSession spark = runs.sparkSession();
        List<Column> setting = new ArrayList<>();
        for (RunSpec.Field f : RunSpec.FIELDS) if (!NOT_SETTING.contains(f.name())) setting.add(col(f.name()));
        Dataset<Row> finished = runs.filter(col("status").isin("completed", "diverged"))
                .withColumn("setting_id", substring(sha2(to_json(struct(
                        setting.toArray(new Column[0]))), 256), 1, 16))
                .withColumn("study_b", coalesce(col("beta"), when(col("pool").equalTo("first"), lit(0.0))
                        .when(col("pool").equalTo("min-norm"), lit(1.0))))
                .withColumn("accuracy", functions.array_to_vector(
                        array(col("final_test_accuracy"))))
                .cache();

        List<Column> keys = new ArrayList<>();
        for (String c : SHOWN) keys.add(col(c));
        keys.add(col("setting_id"));
        keys.add(col("pool"));
        keys.add(col("beta"));
        Dataset<Row> perJacobian = finished.groupBy(keys.toArray(new Column[0])).agg(
                Summarizer.metrics("count", "mean", "std", "min", "max").summary(col("accuracy")).as("s"),
                sum(when(col("status").equalTo("diverged"), 1).otherwise(0)).as("diverged"),
                first("study_b").as("study_b"));
        Dataset<Row> summary = perJacobian.select(concat(keys, List.of(
                col("s.count").as("runs"),
                col("diverged"),
                element(col("s.mean")).as("acc_mean"),
                // The sample std of a single run is undefined (Summarizer says 0): null, as stddev_samp says.
                when(col("s.count").geq(2), element(col("s.std"))).as("acc_std"),
                element(col("s.min")).as("acc_min"),
                element(col("s.max")).as("acc_max"),
                col("study_b"))));

        Dataset<Row> tests = spark.createDataFrame(tests(finished), TESTS);
        finished.unpersist();
        List<Column> order = new ArrayList<>();
        for (String c : SHOWN) order.add(col(c));
        order.add(col("study_b").asc_nulls_last());
        order.add(col("pool"));
        List<Column> columns = new ArrayList<>();
        for (String c : SHOWN) columns.add(col(c));
        for (String c : List.of("pool", "beta", "runs", "diverged", "acc_mean", "acc_std", "acc_min", "acc_max",
                "jacobians", "anova_f", "anova_p", "anova_dof", "spearman_rho", "spearman_runs", "setting_id")) {
            columns.add(col(c));
        }
        return summary.join(tests, "setting_id").orderBy(order.toArray(new Column[0]))
                .select(columns.toArray(new Column[0]));
    }

    private static Column element(Column vector) {
        return functions.vector_to_array(vector, "float64").getItem(0);
    }

    private static Column[] concat(List<Column> a, List<Column> b) {
        List<Column> all = new ArrayList<>(a);
        all.addAll(b);
        return all.toArray(new Column[0]);
    }

    /** The ANOVA and Spearman tests of every setting, one Row of {@link #TESTS} each. */
    private static List<Row> tests(Dataset<Row> finished) {
        Map<String, List<Row>> bySetting = new HashMap<>();
        for (Row r : finished.select("setting_id", "pool", "study_b", "final_test_accuracy").collectAsList()) {
            bySetting.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(r);
        }
        SparkSession spark = finished.sparkSession();
        List<Row> out = new ArrayList<>();
        for (Map.Entry<String, List<Row>> e : bySetting.entrySet()) {
            out.add(test(spark, e.getKey(), e.getValue()));
        }
        return out;
    }

    private static final StructType POINTS = new StructType()
            .add("label", DataTypes.DoubleType, false)
            .add("features", new org.apache.spark.ml.linalg.VectorUDT(), false);

    /** One setting's tests from its runs (setting_id, pool, study_b, final_test_accuracy). */
    static Row test(SparkSession spark, String settingId, List<Row> runs) {
        List<String> pools = new ArrayList<>(new LinkedHashSet<>(runs.stream().map(r -> r.getString(1)).toList()));
        List<Row> byPool = new ArrayList<>(), byB = new ArrayList<>();
        Set<Double> bs = new java.util.HashSet<>();
        for (Row r : runs) {
            double acc = r.getDouble(3);
            byPool.add(RowFactory.create((double) pools.indexOf(r.getString(1)), Vectors.dense(acc)));
            if (!r.isNullAt(2)) {
                byB.add(RowFactory.create(0.0, Vectors.dense(Math.log10(1 + r.getDouble(2)), acc)));
                bs.add(r.getDouble(2));
            }
        }
        Double f = null, p = null;
        Long dof = null;
        // One-way ANOVA needs two groups and a within-group degree of freedom (some Jacobian with two runs).
        if (pools.size() >= 2 && runs.size() > pools.size()) {
            Row a = ANOVATest.test(spark.createDataFrame(byPool, POINTS), "features", "label", true).first();
            p = a.getDouble(a.fieldIndex("pValue"));
            dof = a.getLong(a.fieldIndex("degreesOfFreedom"));
            f = a.getDouble(a.fieldIndex("fValue"));
        }
        Double rho = null;
        if (bs.size() >= 2) {
            Row c = Correlation.corr(spark.createDataFrame(byB, POINTS), "features", "spearman").first();
            rho = ((Matrix) c.get(0)).apply(0, 1);
        }
        return RowFactory.create(settingId, pools.size(), f, p, dof, rho, (long) byB.size());
    }
}
