package io.tiebreak.jobs.zones;

import io.tiebreak.jobs.grid.ZoneSpec;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.network.util.JavaUtils;

/**
 * The memory check a zones job makes before it starts: what one task needs (the largest configuration's four
 * models and one model's activations for a minibatch, the fp64 recomputation being the largest), against the heap
 * one task slot gets. The need is an estimate scaled from a measurement (docs/zones.md, "Memory": two VGG11 tasks
 * at batch 128 on 32x32 inputs peaked at 3.9 GB of live heap, about 2 GB per task): linear in the batch size and
 * the pixels per image, times each network's size relative to VGG11.
 */
final class ZoneMemory {
    private ZoneMemory() {}

    /** Measured: one VGG11 task at batch 128 on 32x32x3 inputs. */
    static final long VGG11_BATCH128_BYTES = 2L << 30;

    /** Activation volume per sample relative to VGG11 (at the same input size), from the networks' layer shapes. */
    private static final Map<String, Double> RELATIVE = Map.of("lenet5", 0.02, "vgg11", 1.0, "vgg13", 1.45,
            "vgg16", 1.6, "vgg19", 1.75, "resnet18", 1.3, "resnet34", 2.0, "resnet50", 4.5);

    /** Estimated bytes one task needs for a configuration. */
    static long perTask(ZoneSpec s) {
        double rel = RELATIVE.getOrDefault(s.network().id(), 4.5);
        double pixels = (double) s.height() * s.width() / (32 * 32);
        return (long) (VGG11_BATCH128_BYTES * rel * pixels * s.batchSize() / 128.0);
    }

    /** Heap one task slot has: the executor's (or in local mode this JVM's) heap over its concurrent tasks. */
    static long perSlot(SparkConf conf, String master, int defaultParallelism) {
        int taskCpus = conf.getInt("spark.task.cpus", 1);
        if (master.startsWith("local")) {
            int slots = Math.max(1, defaultParallelism / taskCpus);
            return Runtime.getRuntime().maxMemory() / slots;
        }
        long executor = JavaUtils.byteStringAsBytes(conf.get("spark.executor.memory", "1g"));
        int cores = conf.getInt("spark.executor.cores", 1);
        return executor / Math.max(1, cores / taskCpus);
    }

    /** One line on what is needed and what there is; a second with what to do when it will not fit. */
    static String check(List<ZoneSpec> specs, long perSlot) {
        ZoneSpec worst = specs.stream().max(java.util.Comparator.comparingLong(ZoneMemory::perTask)).orElseThrow();
        long need = perTask(worst);
        String line = String.format(Locale.ROOT, "memory: about %s per task (largest: %s, batch %d), %s of heap per"
                + " task slot", gb(need), worst.network().id(), worst.batchSize(), gb(perSlot));
        if (need <= perSlot) return line;
        return line + "\nwarning: the tasks will likely run out of memory: give each task slot more heap"
                + " (deploy/tiebreak: TIEBREAK_JAVA_OPTS=-Xmx<size>; a cluster: spark.executor.memory), or run fewer"
                + " tasks at once (--master 'local[1]', or a larger spark.task.cpus)";
    }

    private static String gb(long bytes) {
        return bytes < (1L << 30) ? String.format(Locale.ROOT, "%d MB", Math.max(1, bytes >> 20))
                : String.format(Locale.ROOT, "%.1f GB", bytes / (double) (1L << 30));
    }
}
