package io.tiebreak.jobs.zones;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.grid.LrChoices;
import io.tiebreak.jobs.grid.ZonePlanner;
import io.tiebreak.jobs.grid.ZoneSpec;
import io.tiebreak.jobs.testing.FixedCatalog;
import java.util.List;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class ZoneMemoryTest {
    private static List<ZoneSpec> specs(String grid) {
        return ZonePlanner.plan(GridParser.parse("z.yaml", grid, List.of(), GridParser.Purpose.ZONES),
                FixedCatalog.standard(), LrChoices.NONE, false).configs().stream().map(ZonePlanner.Config::spec).toList();
    }

    @Test
    void theNeedScalesFromTheMeasuredVgg11TaskAndAWarningSaysWhatToChange() {
        List<ZoneSpec> vgg = specs("dataset: cifar10\nnetwork: vgg11\nbatch_size: [128, 256]\nminibatches: 1\n");
        assertEquals(ZoneMemory.VGG11_BATCH128_BYTES, ZoneMemory.perTask(vgg.get(0)));
        assertEquals(2 * ZoneMemory.VGG11_BATCH128_BYTES, ZoneMemory.perTask(vgg.get(1)));
        String fits = ZoneMemory.check(vgg, 8L << 30);
        assertEquals("memory: about 4.0 GB per task (largest: vgg11, batch 256), 8.0 GB of heap per task slot", fits);
        String short_ = ZoneMemory.check(vgg, 3L << 30);
        assertTrue(short_.contains("warning: the tasks will likely run out of memory") && short_.contains("-Xmx"), short_);
        String lenet = ZoneMemory.check(specs("dataset: mnist\nnetwork: lenet5\nminibatches: 1\n"), 1L << 30);
        assertTrue(lenet.startsWith("memory: about 31 MB per task (largest: lenet5, batch 128), 1.0 GB"), lenet);
        assertFalse(lenet.contains("warning"), lenet);
    }

    @Test
    void aClusterSlotHasTheExecutorsHeapOverItsConcurrentTasks() {
        SparkConf conf = new SparkConf(false).set("spark.executor.memory", "16g").set("spark.executor.cores", "4")
                .set("spark.task.cpus", "2");
        assertEquals(8L << 30, ZoneMemory.perSlot(conf, "spark://m:7077", 8));
    }
}
