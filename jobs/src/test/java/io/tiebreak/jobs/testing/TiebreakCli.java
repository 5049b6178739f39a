package io.tiebreak.jobs.testing;

import io.tiebreak.jobs.cli.Tiebreak;
import io.tiebreak.jobs.errors.ExitCodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs the tiebreak command line in the test JVM, on the shared local test session, capturing what it prints. */
public final class TiebreakCli {
    private TiebreakCli() {}

    public record Result(int exit, String out, String err) {}

    public static Result run(String... args) {
        LocalSpark.session(); // the command's getOrCreate() picks up the test session
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream captured = new PrintStream(out, true, StandardCharsets.UTF_8);
        System.setOut(captured);
        CommandLine cl = Tiebreak.commandLine(); // after setOut: picocli's own output (help, -V) goes there too
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        java.util.Properties before = (java.util.Properties) System.getProperties().clone();
        try {
            int exit = ExitCodes.execute(cl, args);
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setProperties(before); // --master and --conf set spark.* properties: not for the next test
            System.setOut(oldOut);
        }
    }
}
