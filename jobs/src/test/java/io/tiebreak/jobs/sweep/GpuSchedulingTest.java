package io.tiebreak.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.testing.FashionMnist;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.jobs.testing.StandaloneCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark's GPU scheduling on a standalone cluster whose Worker reports two fake GPUs through a discovery script: each
 * task is granted its own address; without CUDA, device: gpu runs fail saying so and device: auto runs train on the
 * CPU saying why.
 */
@Tag("slow")
class GpuSchedulingTest {
    private static final Pattern GPU = Pattern.compile("GPU (\\d+) that Spark granted");

    @Test
    void tasksGetDistinctGpuAddressesAndRunsWithoutCudaSayWhatHappened(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("fake-gpus.sh");
        Files.writeString(script, "#!/bin/sh\necho '{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path grid = dir.resolve("grid.yaml");
        Files.writeString(grid, Sweeps.grid("lr: 0.05", "epochs: 1", "device: [auto, gpu]", "repeats: 3"));
        Path results = dir.resolve("results");
        Path data = FashionMnist.dataRoot();
        try (StandaloneCluster cluster = StandaloneCluster.start(1, 2, "1536m",
                Map.of("spark.worker.resource.gpu.amount", "2",
                        "spark.worker.resource.gpu.discoveryScript", script.toString()))) {
            Process driver = cluster.driver("io.tiebreak.jobs.cli.Tiebreak",
                    List.of("sweep", grid.toString(), "--data", data.toString(), "--results", results.toString(),
                            "--progress", "log"),
                    Map.of("spark.executor.memory", "1g", "spark.cores.max", "2",
                            "spark.executor.resource.gpu.amount", "2", "spark.task.resource.gpu.amount", "1"));
            StandaloneCluster.Output out = new StandaloneCluster.Output(driver.getInputStream(), "[driver] ");
            StandaloneCluster.Output err = new StandaloneCluster.Output(driver.getErrorStream(), "[driver:err] ");
            assertTrue(driver.waitFor(6, TimeUnit.MINUTES), "the sweep did not end");
            out.join();
            err.join();
            assertEquals(1, driver.exitValue(), "the gpu runs must fail: " + String.join("\n", err.lines()));
            assertTrue(err.lines().stream().anyMatch(l -> l.contains("3 runs failed")), String.join("\n", err.lines()));
        }
        List<Row> runs = new ResultStore(LocalSpark.session(), results.toString()).latestRuns()
                .select("device", "status", "reason", "device_used", "started_at", "finished_at").collectAsList();
        assertEquals(6, runs.size());
        Set<String> addresses = new TreeSet<>();
        List<long[]> spans = new ArrayList<>();
        List<String> granted = new ArrayList<>();
        for (Row r : runs) {
            String text = r.getString(0).equals("auto") ? r.getString(3) : r.getString(2);
            if (r.getString(0).equals("auto")) {
                assertEquals("completed", r.getString(1));
                assertTrue(text.startsWith("cpu x1 (auto: cannot use GPU "), text);
            } else {
                assertEquals("failed", r.getString(1));
                assertTrue(text.startsWith("cannot use GPU "), text);
            }
            Matcher m = GPU.matcher(text);
            assertTrue(m.find(), text);
            addresses.add(m.group(1));
            granted.add(m.group(1));
            spans.add(new long[] {((Timestamp) r.get(4)).getTime(), ((Timestamp) r.get(5)).getTime()});
        }
        assertEquals(Set.of("0", "1"), addresses);
        int overlapping = 0;
        for (int i = 0; i < spans.size(); i++) {
            for (int j = i + 1; j < spans.size(); j++) {
                if (spans.get(i)[0] < spans.get(j)[1] && spans.get(j)[0] < spans.get(i)[1]) {
                    overlapping++;
                    assertNotEquals(granted.get(i), granted.get(j), "two tasks ran at once on one GPU");
                }
            }
        }
        assertTrue(overlapping > 0, "no two tasks ran at the same time");
    }
}
