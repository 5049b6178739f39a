package io.tiebreak.jobs.sweep;

import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.progress.SweepProgress;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.testing.FashionMnist;
import io.tiebreak.jobs.testing.LocalSpark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/** Runs small sweeps on the real Fashion-MNIST in local[2] for the sweep tests. */
final class Sweeps {
    private Sweeps() {}

    /** A tiny LeNet-5 grid on Fashion-MNIST: 512 training and 256 test samples, batch 64. */
    static String grid(String... lines) {
        return "name: test\ndataset: fashion-mnist\nnetwork: lenet5\ntrain_subset: 512\ntest_subset: 256\n"
                + "batch_size: 64\n" + String.join("\n", lines) + "\n";
    }

    record Ran(SweepJob.Result result, String output, ResultStore store) {}

    static Ran sweep(String yaml, Path results, long waveMillis) {
        SparkSession spark = LocalSpark.session();
        Grid g = GridParser.parse("test.yaml", yaml, List.of(), GridParser.Purpose.SWEEP);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            SweepJob.Result r = SweepJob.run(spark, g, new SweepJob.Options(results.toString(),
                    FashionMnist.dataRoot().toString(), false, waveMillis, 64, SweepProgress.Mode.LOG, out));
            out.println(); // what the sweep command prints after the job
            out.print(Summary.table(new ResultStore(spark, results.toString()), g.name(), r.runs()));
            String text = bytes.toString(StandardCharsets.UTF_8);
            System.out.print(text);
            return new Ran(r, text, new ResultStore(spark, results.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
