package io.tiebreak.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.ExitCodes;
import io.tiebreak.jobs.fs.ReplaceableOutput.IfExists;
import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.grid.LrChoices;
import io.tiebreak.jobs.grid.Planner;
import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.jobs.gridjob.DataCatalog;
import io.tiebreak.jobs.gridjob.HadoopCheckpoints;
import io.tiebreak.jobs.ingest.Dataset;
import io.tiebreak.jobs.ingest.DatasetReader;
import io.tiebreak.jobs.ingest.IngestJob;
import io.tiebreak.jobs.ingest.IngestOptions;
import io.tiebreak.jobs.ingest.Manifest;
import io.tiebreak.jobs.results.ResultStore;
import io.tiebreak.jobs.results.Tables;
import io.tiebreak.jobs.testing.DatasetFiles;
import io.tiebreak.jobs.testing.FashionMnist;
import io.tiebreak.jobs.testing.LocalSpark;
import io.tiebreak.jobs.testing.TiebreakCli;
import io.tiebreak.runtime.io.Safetensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exit-code contract of a sweep (docs/design.md, "Exit codes and bad input"), through the command line: bad input
 * found before training (a shard that no longer matches its manifest) stops the sweep with exit 2 and nothing
 * trained; bad input a run meets (a damaged checkpoint, a shard damaged in place) is reported on one line naming the
 * file, that run gets no row while the others go on, and the sweep exits 2, failed runs or not.
 */
class SweepBadInputTest {
    @TempDir Path tmp;

    private TiebreakCli.Result sweep(String yaml, Path data, Path results, String... more) throws Exception {
        Path grid = tmp.resolve("grid.yaml");
        Files.writeString(grid, yaml);
        List<String> args = new java.util.ArrayList<>(List.of("sweep", grid.toString(), "--data", data.toString(),
                "--results", results.toString(), "--progress", "log"));
        args.addAll(List.of(more));
        TiebreakCli.Result r = TiebreakCli.run(args.toArray(String[]::new));
        System.out.print(r.out());
        System.err.print(r.err());
        return r;
    }

    private static List<RunSpec> plan(String yaml, Path data) {
        return Planner.plan(GridParser.parse("t", yaml, List.of(), GridParser.Purpose.SWEEP),
                new DataCatalog(data.toString(), LocalSpark.session().sparkContext().hadoopConfiguration()),
                LrChoices.NONE, false).runs();
    }

    private static long rows(Path results, Tables.Table t) {
        return new ResultStore(LocalSpark.session(), results.toString()).read(t).count();
    }

    /** As if the driver had died after epoch 1 of every run: no results, only the checkpoints of epoch 1. */
    private static void interruptAfterTheFirstEpoch(Path results) throws Exception {
        for (String table : List.of("runs", "epochs")) SweepJobTest.deleteTree(results.resolve(table));
        try (Stream<Path> files = Files.walk(results.resolve("checkpoints"))) {
            for (Path p : files.filter(p -> p.getFileName().toString().equals(HadoopCheckpoints.fileName(2))).toList()) {
                Files.delete(p);
            }
        }
    }

    private static Path checkpoint(Path results, RunSpec run) {
        return results.resolve("checkpoints").resolve(run.runId()).resolve(HadoopCheckpoints.fileName(1));
    }

    /** Writes NaN over the first value of a tensor in place, as a bad disk or a bad copy might. */
    private static void nanInPlace(Path checkpoint, String tensor) throws Exception {
        byte[] b = Files.readAllBytes(checkpoint);
        int at = Safetensors.read(b, "x").require(tensor).data().arrayOffset();
        b[at] = 0;
        b[at + 1] = 0;
        b[at + 2] = (byte) 0xc0;
        b[at + 3] = 0x7f;
        Files.write(checkpoint, b);
    }

    @Test
    void aDamagedCheckpointIsBadInputNotADivergedRunAndTheOthersGoOn() throws Exception {
        Path data = FashionMnist.dataRoot(), results = tmp.resolve("results");
        String yaml = Sweeps.grid("lr: [0.05, 0.02, 0.03, 0.04]", "epochs: 2", "checkpoints: all");
        List<RunSpec> runs = plan(yaml, data);
        assertEquals(0, sweep(yaml, data, results).exit());
        interruptAfterTheFirstEpoch(results);
        // Run 1: NaN written over a weight; the local file system's own checksum (.crc) sees it first.
        Path nan = checkpoint(results, runs.get(1));
        nanInPlace(nan, "conv1.weight");
        // Run 3: the same without the .crc (an object store, or a copy): the checkpoint's own sum sees it.
        Path noCrc = checkpoint(results, runs.get(3));
        nanInPlace(noCrc, "fc1.weight");
        Files.delete(noCrc.resolveSibling("." + noCrc.getFileName() + ".crc"));
        // Run 2 fails for a reason of its own: its checkpoint folder is a file, so it cannot save.
        Path blocked = results.resolve("checkpoints").resolve(runs.get(2).runId());
        SweepJobTest.deleteTree(blocked);
        Files.write(blocked, new byte[] {1});

        TiebreakCli.Result r = sweep(yaml, data, results);

        assertEquals(ExitCodes.USER_ERROR, r.exit(), r.err());
        List<String> errors = r.err().lines().toList();
        assertTrue(errors.stream().anyMatch(l -> l.startsWith("error: " + nan + ": corrupt checkpoint: the file system's"
                + " checksum failed (Checksum error: ")), r.err());
        assertTrue(errors.stream().anyMatch(l -> l.startsWith("error: " + noCrc + ": corrupt checkpoint: its contents sum"
                + " to CRC-32C")), r.err());
        assertTrue(errors.stream().anyMatch(l -> l.startsWith("error: 1 runs failed")), r.err());
        assertEquals(4, errors.size(), "one line per problem, and what to do: " + r.err());
        assertTrue(r.out().contains("run " + runs.get(1).runId() + " not trained, bad input: " + nan), r.out());
        ResultStore store = new ResultStore(LocalSpark.session(), results.toString());
        var states = store.runStates();
        assertEquals(io.tiebreak.jobs.results.Status.COMPLETED, states.get(runs.get(0).runId()).status());
        assertFalse(states.containsKey(runs.get(1).runId()), "no row, diverged or other, for a run that met bad input");
        assertFalse(states.containsKey(runs.get(3).runId()));
        assertEquals(io.tiebreak.jobs.results.Status.FAILED, states.get(runs.get(2).runId()).status());
        assertEquals(0, store.read(Tables.Table.RUNS).filter("status = 'diverged'").count());

        // Once the damaged checkpoints are gone, those runs start over and complete.
        for (Path p : List.of(nan, noCrc, blocked)) Files.delete(p);
        assertEquals(0, sweep(yaml, data, results).exit());
        for (RunSpec s : runs) assertEquals(io.tiebreak.jobs.results.Status.COMPLETED, store.runStates().get(s.runId()).status());
        assertEquals(8, rows(results, Tables.Table.EPOCHS));
    }

    /** A small dataset of its own (its shards are damaged by the tests): 64 train and 32 test images, 4 shards each. */
    private Path tinyDataRoot() throws Exception {
        Path in = tmp.resolve("idx"), root = tmp.resolve("data");
        DatasetFiles.idxPair(in, "", "train", 64, 28, 28, 10, true, false);
        DatasetFiles.idxPair(in, "", "t10k", 32, 28, 28, 10, true, false);
        IngestJob.run(LocalSpark.session(), IngestOptions.of(Dataset.FASHION_MNIST, in.toString(),
                root.resolve("fashion-mnist").toString(), IfExists.REFUSE, 8 * 28 * 28));
        return root;
    }

    private static String tinyGrid(String... lines) {
        return Sweeps.grid(lines).replace("train_subset: 512", "train_subset: all").replace("test_subset: 256", "test_subset: all");
    }

    private static Path shard(Path root, String split, int k) throws Exception {
        Manifest m = DatasetReader.manifest(root.resolve("fashion-mnist").toString(),
                LocalSpark.session().sparkContext().hadoopConfiguration());
        return root.resolve("fashion-mnist").resolve(m.split(split).shards().get(k).path());
    }

    @Test
    void aShardThatNoLongerMatchesItsManifestIsBadInputFoundBeforeTraining() throws Exception {
        Path root = tinyDataRoot();
        String yaml = tinyGrid("lr: [0.05, 0.02]", "epochs: 1");
        Path cut = shard(root, "test", 1);
        byte[] whole = Files.readAllBytes(cut);
        Files.write(cut, Arrays.copyOf(whole, whole.length - 10));

        Path results = tmp.resolve("r1");
        TiebreakCli.Result r = sweep(yaml, root, results);

        assertEquals(ExitCodes.USER_ERROR, r.exit(), r.err());
        assertEquals("error: file:" + cut + ": holds " + (whole.length - 10) + " bytes, the manifest lists " + whole.length
                + ": the dataset was modified after ingest; ingest it again (tiebreak ingest ... --replace)\n", r.err());
        assertFalse(Files.exists(results.resolve("checkpoints")), "nothing trained");
        assertEquals(0, rows(results, Tables.Table.RUNS));
        // lr-search, which trains and tests too, says the same before it starts; zones, which reads only the training
        // split, is not held up by a test shard.
        Path search = tmp.resolve("search.yaml"), zones = tmp.resolve("zones.yaml");
        Files.writeString(search, tinyGrid("epochs: 1", "lr_search: {trials: 2}"));
        Files.writeString(zones, tinyGrid("lr: 0.05", "epochs: 1", "minibatches: 1"));
        TiebreakCli.Result lr = TiebreakCli.run("lr-search", search.toString(), "--data", root.toString(), "--results",
                tmp.resolve("r-search").toString());
        assertEquals(ExitCodes.USER_ERROR, lr.exit(), lr.err());
        assertEquals(r.err(), lr.err());
        assertEquals(0, TiebreakCli.run("zones", zones.toString(), "--data", root.toString(), "--results",
                tmp.resolve("r-zones").toString()).exit());

        Files.delete(cut);
        TiebreakCli.Result gone = sweep(yaml, root, tmp.resolve("r2"));
        assertEquals(ExitCodes.USER_ERROR, gone.exit());
        assertTrue(gone.err().startsWith("error: file:" + cut + ": is missing: the dataset was modified after ingest"), gone.err());
    }

    @Test
    void aShardDamagedInPlaceIsBadInputBeforeItsSamplesAreUsedAndNoRowIsWritten() throws Exception {
        Path root = tinyDataRoot();
        String yaml = tinyGrid("lr: [0.05, 0.02]", "epochs: 1");
        Path damaged = shard(root, "train", 2);
        byte[] b = Files.readAllBytes(damaged);
        b[b.length / 2] ^= 0x40; // same size: only the checksum, read before the shard's samples are used, tells
        Files.write(damaged, b);
        Files.deleteIfExists(damaged.resolveSibling("." + damaged.getFileName() + ".crc")); // the local FS's own sum
        DatasetReader.clearCache();

        Path results = tmp.resolve("results");
        TiebreakCli.Result r = sweep(yaml, root, results);

        assertEquals(ExitCodes.USER_ERROR, r.exit(), r.err());
        assertTrue(r.err().startsWith("error: file:" + damaged + ": does not match the manifest"), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.contains(damaged.getFileName().toString())).count(),
                "one line for the shard, however many runs met it: " + r.err());
        assertEquals(0, rows(results, Tables.Table.RUNS), "runs that met bad input are not written");
    }

    @Test
    void aDryRunSaysWhereInterruptedRunsResume() throws Exception {
        Path data = FashionMnist.dataRoot(), results = tmp.resolve("results");
        String yaml = Sweeps.grid("lr: [0.05, 0.02]", "epochs: 2", "checkpoints: all");
        assertEquals(0, sweep(yaml, data, results).exit());
        interruptAfterTheFirstEpoch(results);
        List<RunSpec> runs = plan(yaml, data);
        SweepJobTest.deleteTree(results.resolve("checkpoints").resolve(runs.get(1).runId()));

        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DryRun.print(LocalSpark.session(), GridParser.parse("t", yaml, List.of(), GridParser.Purpose.SWEEP),
                results.toString(), data.toString(), false, new PrintStream(b, true, StandardCharsets.UTF_8));
        String out = b.toString(StandardCharsets.UTF_8);
        assertTrue(out.lines().anyMatch(l -> l.startsWith(runs.get(0).runId() + "  to run, resumes at epoch 2 of 2")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith(runs.get(1).runId() + "  to run ")), out);
    }
}
