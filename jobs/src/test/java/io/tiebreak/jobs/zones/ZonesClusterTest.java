package io.tiebreak.jobs.zones;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Tables;
import io.tiebreak.jobs.testing.FashionMnist;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.jobs.testing.StandaloneCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The zones job on a real standalone cluster (Master and two Workers as JVMs on loopback), with a Worker killed. */
@Tag("slow")
class ZonesClusterTest {

    @Test
    void everyMinibatchLandsExactlyOnceWhenAWorkerIsKilledMidJob(@TempDir Path dir) throws Exception {
        Path data = FashionMnist.dataRoot();
        Path grid = dir.resolve("zones.yaml");
        Files.writeString(grid, "name: cluster\ndataset: fashion-mnist\nnetwork: lenet5\nprecision: fp16\n"
                + "batch_size: 64\nminibatches: 160\n");
        Path results = dir.resolve("results");
        try (StandaloneCluster cluster = StandaloneCluster.start(2, 1, "1536m", Map.of())) {
            Process driver = cluster.driver("io.tiebreak.jobs.cli.Tiebreak",
                    List.of("zones", grid.toString(), "--data", data.toString(), "--results", results.toString(),
                            "--minibatches-per-task", "8", "--wave-seconds", "1"),
                    Map.of("spark.executor.memory", "1g", "spark.cores.max", "2"));
            StandaloneCluster.Output out = new StandaloneCluster.Output(driver.getInputStream(), "[driver] ");
            StandaloneCluster.Output err = new StandaloneCluster.Output(driver.getErrorStream(), "[driver:err] ");
            assertTrue(out.await("minibatches (", Duration.ofMinutes(4)), "no task finished");
            cluster.killWorker(1);
            assertTrue(driver.waitFor(6, TimeUnit.MINUTES), "the zones job did not end");
            out.join();
            err.join();
            assertEquals(0, driver.exitValue(), String.join("\n", err.lines()));
            assertTrue(err.lines().stream().anyMatch(l -> l.contains("Lost") || l.contains("lost")),
                    "the killed worker took no task with it");
            assertTrue(out.lines().stream().anyMatch(l -> l.contains("0 done before, 160 to measure in 20 tasks")),
                    String.join("\n", out.lines()));
        }
        Dataset<Row> zones = new ResultStore(LocalSpark.session(), results.toString()).read(Tables.Table.ZONES);
        assertEquals(160, zones.count());
        assertEquals(160, zones.select("zone_id", "minibatch").distinct().count());
        assertEquals(159, zones.agg(org.apache.spark.sql.functions.max("minibatch")).first().getInt(0));
    }
}
