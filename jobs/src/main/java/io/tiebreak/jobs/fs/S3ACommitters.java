package io.tiebreak.jobs.fs;

import java.io.IOException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * Spark writes to s3a:// through an S3A committer (the magic committer: files are uploaded as pending multipart
 * uploads and appear only when the job commits), never through the rename-based FileOutputCommitter, whose renames
 * are copies on S3 and can leave a partial result. Other file systems keep Spark's defaults.
 */
public final class S3ACommitters {
    private S3ACommitters() {}

    public static final String COMMIT_PROTOCOL = "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol";
    public static final String PARQUET_COMMITTER = "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter";

    /** Configures the session so that DataFrame writes under output use the magic committer when it is on s3a. */
    public static void configureFor(SparkSession spark, Path output) throws IOException {
        var conf = spark.sparkContext().hadoopConfiguration();
        String scheme = HadoopFs.qualify(output, conf).toUri().getScheme();
        if (!"s3a".equals(scheme)) return;
        spark.conf().set("spark.sql.sources.commitProtocolClass", COMMIT_PROTOCOL);
        spark.conf().set("spark.sql.parquet.output.committer.class", PARQUET_COMMITTER);
        if (conf.get("fs.s3a.committer.name") == null || "file".equals(conf.get("fs.s3a.committer.name"))) {
            conf.set("fs.s3a.committer.name", "magic");
        }
    }
}
