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
        CommandLine cl = new CommandLine(new Tiebreak());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int exit = ExitCodes.execute(cl, args);
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(oldOut);
        }
    }
}
