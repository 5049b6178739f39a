package io.tiebreak.jobs.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * One local[2] SparkSession shared by every test in the JVM (starting Spark costs seconds). Tests must not stop it;
 * it stops when the JVM exits. Code under test that calls SparkSession.builder().getOrCreate() gets this session.
 */
public final class LocalSpark {
    private LocalSpark() {}

    private static SparkSession session;

    public static synchronized SparkSession session() {
        if (session == null) {
            Path scratch;
            try {
                scratch = Files.createTempDirectory("tiebreak-spark-");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            session = SparkSession.builder()
                    .master("local[2]")
                    .appName("tiebreak-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.local.dir", scratch.resolve("local").toString())
                    .config("spark.sql.warehouse.dir", scratch.resolve("warehouse").toString())
                    .getOrCreate();
            Runtime.getRuntime().addShutdownHook(new Thread(session::stop));
        }
        return session;
    }
}
