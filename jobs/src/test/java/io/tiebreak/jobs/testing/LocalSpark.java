package io.tiebreak.jobs.testing;

import org.apache.spark.sql.SparkSession;

/** A local[2] SparkSession for tests, with FAIR scheduling as the jobs use it, shared by the tests of one JVM. */
public final class LocalSpark {
    private LocalSpark() {}

    public static synchronized SparkSession session() {
        return SparkSession.builder().master("local[2]").appName("tiebreak-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.scheduler.mode", "FAIR")
                .getOrCreate();
    }
}
