package io.tiebreak.jobs.zones;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.cli.Tiebreak;
import io.tiebreak.jobs.testing.FashionMnist;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.runtime.cli.CliErrors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ZonesCommandTest {
    @TempDir Path tmp;

    private record Result(int exit, String out, String err) {}

    private static Result run(String... args) {
        LocalSpark.session(); // the command's getOrCreate() picks up the test session
        CommandLine cl = new CommandLine(new Tiebreak());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int exit = CliErrors.execute(cl, args);
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(oldOut);
        }
    }

    @Test
    void aDryRunListsTheConfigurationsAndBadGridsAreUserErrorsWithTheirPosition() throws Exception {
        String data = FashionMnist.dataRoot().toString();
        Path grid = tmp.resolve("z.yaml");
        Files.writeString(grid, "name: dry\ndataset: fashion-mnist\nnetwork: lenet5\nprecision: [fp16, fp32]\n"
                + "minibatches: 5\n");
        Result dry = run("zones", grid.toString(), "--data", data, "--results", tmp.resolve("r").toString(), "--dry-run");
        assertEquals(0, dry.exit(), dry.err());
        assertTrue(dry.out().contains("dry: 2 configurations, 10 minibatches; the grid is valid"), dry.out());
        assertTrue(dry.out().contains("0/5"), dry.out());

        Files.writeString(grid, "dataset: fashion-mnist\nnetwork: lenet5\nweight: init\n");
        Result typo = run("zones", grid.toString(), "--data", data, "--dry-run");
        assertEquals(CliErrors.USER_ERROR, typo.exit());
        assertTrue(typo.err().startsWith("error: " + grid + ":3:1: unknown key 'weight' (did you mean 'weights'?)"),
                typo.err());

        Result bad = run("zones", grid.toString(), "--minibatches-per-task", "0");
        assertEquals(CliErrors.USER_ERROR, bad.exit());
        assertEquals("error: --minibatches-per-task must be at least 1\n", bad.err());
    }
}
