package io.tiebreak.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.ExitCodes;
import io.tiebreak.jobs.testing.TiebreakCli;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every command of {@code tiebreak}: a flag that cannot be taken (out of range, of the wrong type, unknown, missing)
 * is one line naming it and pointing at the command's --help, exit 2, before anything runs; never 30 lines of usage.
 */
class TiebreakCommandLineTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "ingest --dataset imagenet -i x -o y --image-size -5 | ingest    | --image-size | must be at least 1, got '-5'",
        "ingest --dataset mnist -i x -o y --channels zero    | ingest    | --channels   | 'zero' is not a whole number",
        "ingest --dataset mnist -i x -o y --shards 4         | ingest    | --shards     | Unknown option",
        "ingest -i x -o y                                    | ingest    | --dataset    | Missing required option",
        "sweep g.yaml --wave-runs 0                          | sweep     | --wave-runs  | must be at least 1, got '0'",
        "sweep g.yaml --wave-seconds 0                       | sweep     | --wave-seconds | must be a positive number",
        "sweep g.yaml --wave-seconds soon                    | sweep     | --wave-seconds | 'soon' is not a number",
        "sweep g.yaml --dryrun                               | sweep     | --dryrun     | (did you mean '--dry-run'?)",
        "lr-search g.yaml --wave-seconds -1                  | lr-search | --wave-seconds | must be a positive number",
        "zones g.yaml --wave-tasks 0                         | zones     | --wave-tasks | must be at least 1",
        "zones g.yaml --minibatches-per-task -2              | zones     | --minibatches-per-task | must be at least 1",
        "sql --max-rows 0 SELECT                             | sql       | --max-rows   | must be at least 1",
        "sql --max-rows many SELECT                          | sql       | --max-rows   | 'many' is not a whole number",
        "report r --bogus                                    | report    | --bogus      | Unknown option",
    })
    void aBadFlagIsOneLineNamingItAndPointingAtTheCommandsHelp(String args, String command, String flag, String what) {
        TiebreakCli.Result r = TiebreakCli.run(args.trim().split("\\s+"));
        assertEquals(ExitCodes.USER_ERROR, r.exit(), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(flag.trim()) && r.err().contains(what.trim()), r.err());
        assertTrue(r.err().trim().endsWith("see 'tiebreak " + command.trim() + " --help'"), r.err());
        assertFalse(r.err().contains("Usage"), r.err());
        assertEquals("", r.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"swep g.yaml | sweep", "zone g.yaml | zones"})
    void aMistypedCommandIsOneLineWithTheCommandMeant(String args, String meant) {
        TiebreakCli.Result r = TiebreakCli.run(args.trim().split("\\s+"));
        assertEquals(ExitCodes.USER_ERROR, r.exit());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("(did you mean '" + meant.trim() + "'") && r.err().trim().endsWith("see 'tiebreak --help'"), r.err());
    }
}
