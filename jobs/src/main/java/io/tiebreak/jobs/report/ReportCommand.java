package io.tiebreak.jobs.report;

import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.spark.SparkSessions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tiebreak report <results>}: the study's figures (PNG) and one HTML page, with the reference beside ours. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Draws the study's figures from a results folder into PNG files and an index.html.")
public final class ReportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RESULTS", description = "Results folder (local, hdfs:// or s3a://)")
    String results;

    @Option(names = {"-o", "--out"}, defaultValue = "report", description = "Local folder for the page and images (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--reference", description = "A reference CSV in the format of the bundled paper-final-accuracy.csv")
    Path reference;

    @Override
    public Integer call() throws Exception {
        SparkSession spark = SparkSessions.forQueries("tiebreak report", ResultStore.sessionDefaults());
        ReferenceTable ref = reference == null ? ReferenceTable.bundled() : ReferenceTable.read(reference);
        Report.Written w = Report.write(new ResultStore(spark, results), out, ref);
        System.out.printf("wrote %s and %d figures%n", w.html(), w.images().size());
        return 0;
    }
}
