package io.tiebreak.jobs.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the application's SparkSession. Under spark-submit the master and settings come from there; run with plain
 * java (the README's local mode) no master is set, and the embedded default is local[*]. Settings given on the
 * command line ({@code tiebreak --master ... --conf k=v}) arrive as spark.* system properties, which SparkConf reads.
 */
public final class SparkSessions {
    private SparkSessions() {}

    private static final Logger LOG = LoggerFactory.getLogger(SparkSessions.class);

    /**
     * The session of a job that runs for a while (ingest, sweep, lr-search, zones): Spark's web UI on, its address
     * in the log. Settings the job needs before the SparkContext starts (GPU resource requests) are applied unless
     * the user already set them (--conf wins).
     */
    public static SparkSession forJob(String appName, java.util.Map<String, String> jobDefaults) {
        return create(appName, jobDefaults, true);
    }

    /** The session of a short command (sql, report, compact): no web UI. */
    public static SparkSession forQueries(String appName, java.util.Map<String, String> jobDefaults) {
        return create(appName, jobDefaults, false);
    }

    private static SparkSession create(String appName, java.util.Map<String, String> jobDefaults, boolean ui) {
        SparkConf conf = new SparkConf(true);
        jobDefaults.forEach(conf::setIfMissing);
        if (!conf.contains("spark.master")) conf.setMaster("local[*]");
        conf.setIfMissing("spark.ui.enabled", Boolean.toString(ui));
        conf.setIfMissing("spark.sql.shuffle.partitions", "8");
        SparkSession spark = SparkSession.builder().appName(appName).config(conf).getOrCreate();
        if (spark.sparkContext().uiWebUrl().isDefined()) {
            LOG.info("Spark UI: {} (spark.ui.enabled=false turns it off)", spark.sparkContext().uiWebUrl().get());
        }
        return spark;
    }
}
