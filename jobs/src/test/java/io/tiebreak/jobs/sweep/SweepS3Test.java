package io.tiebreak.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.fs.S3ACommitters;
import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.progress.SweepProgress;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Status;
import io.tiebreak.jobs.results.Tables;
import io.tiebreak.jobs.testing.CapturedLogs;
import io.tiebreak.jobs.testing.FashionMnist;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.jobs.testing.S3ProxyServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A sweep reading its dataset from s3a:// and writing results and checkpoints there (S3Proxy on loopback). */
@Tag("slow")
class SweepS3Test {
    @Test
    void resultsAndCheckpointsLiveOnS3AndNoCredentialIsWrittenOrLogged() throws Exception {
        SparkSession spark = LocalSpark.session();
        Path localData = FashionMnist.dataRoot();
        try (S3ProxyServer s3 = S3ProxyServer.start("data", "results")) {
            var conf = spark.sparkContext().hadoopConfiguration();
            s3.configure(conf);
            FileSystem fs = new org.apache.hadoop.fs.Path("s3a://data/").getFileSystem(conf);
            fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(localData.resolve("fashion-mnist").toString()),
                    new org.apache.hadoop.fs.Path("s3a://data/sets/fashion-mnist"));
            String results = "s3a://results/sweeps";
            S3ACommitters.configureFor(spark, new org.apache.hadoop.fs.Path(results));
            Grid g = GridParser.parse("s3.yaml", Sweeps.grid("lr: 0.05", "epochs: 1", "pool: [first, min-norm]"),
                    List.of(), GridParser.Purpose.SWEEP);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            SweepJob.Options o = new SweepJob.Options(results, "s3a://data/sets", false, 60_000, 64,
                    SweepProgress.Mode.LOG, new PrintStream(out, true, StandardCharsets.UTF_8));
            SweepJob.Result r;
            try (CapturedLogs logs = new CapturedLogs()) {
                r = SweepJob.run(spark, g, o);
                String text = logs.text() + out.toString(StandardCharsets.UTF_8);
                assertFalse(text.contains(s3.secretKey()) || text.contains(s3.accessKey()), "credentials in the output");
            }
            assertEquals(Map.of(Status.COMPLETED, 2), r.ran(), out.toString(StandardCharsets.UTF_8));
            ResultStore store = new ResultStore(spark, results);
            assertEquals(2, store.read(Tables.Table.RUNS).count());
            assertEquals(2, store.read(Tables.Table.EPOCHS).count());
            org.apache.hadoop.fs.Path checkpoints = new org.apache.hadoop.fs.Path(results + "/checkpoints");
            assertEquals(2, checkpoints.getFileSystem(conf).listStatus(checkpoints).length);
            assertEquals(2, SweepJob.run(spark, g, o).skipped());

            try (Stream<Path> stored = Files.walk(s3.root())) {
                for (Path p : stored.filter(Files::isRegularFile).toList()) {
                    String bytes = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                    assertFalse(bytes.contains(s3.secretKey()) || bytes.contains(s3.accessKey()), "credentials in " + p);
                }
            }
            // The runs and epochs tables are Iceberg tables on the bucket: metadata versions committed through S3A.
            try (Stream<Path> stored = Files.walk(s3.root())) {
                List<String> keys = stored.filter(Files::isRegularFile).map(p -> s3.root().relativize(p).toString()).toList();
                for (String table : List.of("runs", "epochs")) {
                    for (String file : List.of("version-hint.text", "v2.metadata.json")) {
                        assertTrue(keys.stream().anyMatch(k -> k.endsWith("/" + table + "/metadata/" + file)),
                                table + " lacks " + file + ": " + keys);
                    }
                }
            }
        }
    }
}
