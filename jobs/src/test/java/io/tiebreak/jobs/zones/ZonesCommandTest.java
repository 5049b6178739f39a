package io.tiebreak.jobs.zones;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.ExitCodes;
import io.tiebreak.jobs.testing.FashionMnist;
import io.tiebreak.jobs.testing.TiebreakCli;
import io.tiebreak.jobs.testing.TiebreakCli.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZonesCommandTest {
    @TempDir Path tmp;

    @Test
    void aDryRunListsTheConfigurationsAndBadGridsAreUserErrorsWithTheirPosition() throws Exception {
        String data = FashionMnist.dataRoot().toString();
        Path grid = tmp.resolve("z.yaml");
        Files.writeString(grid, "name: dry\ndataset: fashion-mnist\nnetwork: lenet5\nprecision: [fp16, fp32]\n"
                + "minibatches: 5\n");
        Result dry = TiebreakCli.run("zones", grid.toString(), "--data", data, "--results", tmp.resolve("r").toString(), "--dry-run");
        assertEquals(0, dry.exit(), dry.err());
        assertTrue(dry.out().contains("dry: 2 configurations, 10 minibatches; the grid is valid"), dry.out());
        assertTrue(dry.out().contains("0/5"), dry.out());

        Files.writeString(grid, "dataset: fashion-mnist\nnetwork: lenet5\nweight: init\n");
        Result typo = TiebreakCli.run("zones", grid.toString(), "--data", data, "--dry-run");
        assertEquals(ExitCodes.USER_ERROR, typo.exit());
        assertTrue(typo.err().startsWith("error: " + grid + ":3:1: unknown key 'weight' (did you mean 'weights'?)"),
                typo.err());

        Result bad = TiebreakCli.run("zones", grid.toString(), "--minibatches-per-task", "0");
        assertEquals(ExitCodes.USER_ERROR, bad.exit());
        assertEquals("error: --minibatches-per-task must be at least 1\n", bad.err());
    }
}
