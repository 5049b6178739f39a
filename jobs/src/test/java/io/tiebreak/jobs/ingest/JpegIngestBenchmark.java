package io.tiebreak.jobs.ingest;

import io.tiebreak.jobs.fs.ReplaceableOutput.IfExists;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * JPEG ingest throughput, next to {@code bench_pillow_decode.py} (same images, same work). Not a test: run it by hand.
 *
 * <pre>
 *   /usr/bin/python3 jobs/src/test/resources/io/tiebreak/jobs/ingest/make_bench_jpegs.py /tmp/jpegbench 10 100
 *   mvn -B -q -pl jobs -am test-compile
 *   mvn -B -q -pl jobs dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 *   java -Xmx4g -cp jobs/target/test-classes:jobs/target/classes:gpu-runtime/target/classes:$(cat /tmp/cp.txt) \
 *       io.tiebreak.jobs.ingest.JpegIngestBenchmark /tmp/jpegbench 72 64 5 128m [/tmp/pillow-dump.bin]
 *   /usr/bin/python3 jobs/src/test/resources/io/tiebreak/jobs/ingest/bench_pillow_decode.py /tmp/jpegbench \
 *       --resize 72 --size 64 --procs 2 --repeats 5 --dump /tmp/pillow-dump.bin
 * </pre>
 *
 * Prints, per run and as a median: decode + resize + crop in 1 and 2 threads (the per-image work alone), and the whole
 * {@code tiebreak ingest} job in local[2] (listing, decoding, Parquet, commit, read-back for checksums and stats).
 * With a Pillow dump it also compares the first 64 crops pixel by pixel.
 */
public final class JpegIngestBenchmark {
    private JpegIngestBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int resize = args.length > 1 ? Integer.parseInt(args[1]) : 72, size = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        long shardBytes = args.length > 4 ? IngestCommand.parseBytes(args[4]) : 128L << 20;
        List<Path> files;
        try (Stream<Path> s = Files.walk(root.resolve("train"))) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        System.out.printf("%d images under %s, resize %d, crop %d%n", files.size(), root, resize, size);

        for (int threads : new int[] {1, 2}) {
            double[] rates = new double[repeats];
            decodeAll(files, resize, size, threads); // warm-up
            for (int i = 0; i < repeats; i++) {
                long t = System.nanoTime();
                decodeAll(files, resize, size, threads);
                rates[i] = files.size() / ((System.nanoTime() - t) / 1e9);
                System.out.printf("decode+resize, %d thread(s), run %d: %.1f images/s%n", threads, i, rates[i]);
            }
            System.out.printf("decode+resize, %d thread(s): median %.1f images/s%n", threads, median(rates));
        }

        SparkSession spark = SparkSession.builder().master("local[2]").appName("jpeg-ingest-bench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
        Path out = Files.createTempDirectory("jpeg-bench-out");
        IngestOptions o = new IngestOptions(Dataset.IMAGENET, root.toString(), out.toString(), IfExists.REPLACE, shardBytes,
                size, resize, false, null, null, null, null);
        IngestJob.run(spark, o); // warm-up
        double[] rates = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t = System.nanoTime();
            Manifest m = IngestJob.run(spark, o);
            double s = (System.nanoTime() - t) / 1e9;
            rates[i] = files.size() / s;
            System.out.printf("tiebreak ingest local[2], run %d: %d images (%d shards) in %.2f s = %.1f images/s%n", i,
                    m.split("train").count(), m.split("train").shards().size(), s, rates[i]);
        }
        System.out.printf("tiebreak ingest local[2]: median %.1f images/s%n", median(rates));
        spark.stop();

        if (args.length > 5) compare(files, Path.of(args[5]), resize, size);
    }

    private static void decodeAll(List<Path> files, int resize, int size, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    int bytes = 0;
                    for (int i = first; i < files.size(); i += threads) {
                        bytes += ImageDecoder.decodeResizeCrop(Files.readAllBytes(files.get(i)), resize, size).length;
                    }
                    return bytes;
                }));
            }
            for (Future<Integer> f : done) f.get();
        } finally {
            pool.shutdown();
        }
    }

    /** Our crops against Pillow's for the same files: how far decoding (libjpeg vs libjpeg-turbo) and resampling differ. */
    private static void compare(List<Path> files, Path dump, int resize, int size) throws IOException {
        byte[] pillow = Files.readAllBytes(dump);
        int per = 3 * size * size, n = pillow.length / per;
        long sum = 0, equal = 0;
        int max = 0;
        for (int i = 0; i < n; i++) {
            byte[] ours = ImageDecoder.decodeResizeCrop(Files.readAllBytes(files.get(i)), resize, size);
            byte[] theirs = Arrays.copyOfRange(pillow, i * per, (i + 1) * per);
            for (int k = 0; k < per; k++) {
                int d = Math.abs((ours[k] & 0xff) - (theirs[k] & 0xff));
                sum += d;
                max = Math.max(max, d);
                if (d == 0) equal++;
            }
        }
        System.out.printf("vs Pillow on %d crops: mean |diff| %.3f, max %d, %.1f%% of values equal%n", n,
                (double) sum / ((long) n * per), max, 100.0 * equal / ((long) n * per));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
