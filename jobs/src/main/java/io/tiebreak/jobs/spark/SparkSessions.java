package io.tiebreak.jobs.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Creates the application's SparkSession. Under spark-submit the master and settings come from there; run with plain
 * java (the README's local mode) no master is set, and the embedded default is local[*].
 */
public final class SparkSessions {
    private SparkSessions() {}

    public static SparkSession getOrCreate(String appName) {
        return getOrCreate(appName, java.util.Map.of());
    }

    /**
     * As {@link #getOrCreate(String)}, with settings a job needs before the SparkContext starts (scheduler mode, GPU
     * resource requests) applied unless the user already set them (spark-submit --conf wins).
     */
    public static SparkSession getOrCreate(String appName, java.util.Map<String, String> jobDefaults) {
        SparkConf conf = new SparkConf(true);
        jobDefaults.forEach(conf::setIfMissing);
        if (!conf.contains("spark.master")) conf.setMaster("local[*]");
        conf.setIfMissing("spark.ui.enabled", "false");
        conf.setIfMissing("spark.sql.shuffle.partitions", "8");
        return SparkSession.builder().appName(appName).config(conf).getOrCreate();
    }
}
