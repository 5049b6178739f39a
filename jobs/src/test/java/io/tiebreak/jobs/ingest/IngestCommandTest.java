package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.ExitCodes;
import io.tiebreak.jobs.testing.DatasetFiles;
import io.tiebreak.jobs.testing.TiebreakCli;
import io.tiebreak.jobs.testing.TiebreakCli.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestCommandTest {
    @TempDir Path tmp;

    @Test
    void ingestsAndPrintsWhatItWrote() throws Exception {
        Path in = tmp.resolve("fashion");
        DatasetFiles.idxPair(in, "", "train", 12, 5, 5, 10, true, false);
        Result r = TiebreakCli.run("ingest", "--dataset", "fashion-mnist", "--input", in.toString(), "--output", tmp.resolve("out").toString(),
                "--shard-size", "1k");
        assertEquals(0, r.exit(), r.err());
        assertEquals("train: 12 samples in 1 shards\n", r.out());
        assertTrue(Files.exists(tmp.resolve("out").resolve(IngestJob.MANIFEST)));

        Result again = TiebreakCli.run("ingest", "--dataset", "fashion-mnist", "-i", in.toString(), "-o", tmp.resolve("out").toString());
        assertEquals(ExitCodes.USER_ERROR, again.exit());
        assertTrue(again.err().startsWith("error: output file:") && again.err().contains("pass --replace"), again.err());
    }

    @Test
    void badFlagsAreUserErrorsWithOneClearLine() {
        String o = tmp.resolve("o").toString();
        Result unknown = TiebreakCli.run("ingest", "--dataset", "mnist2", "-i", "x", "-o", o);
        assertEquals(ExitCodes.USER_ERROR, unknown.exit());
        assertEquals("error: unknown dataset 'mnist2', expected one of mnist, fashion-mnist, kmnist, emnist, cifar10,"
                + " cifar100, svhn, imagenet\n", unknown.err());

        Result size = TiebreakCli.run("ingest", "--dataset", "mnist", "-i", "x", "-o", o, "--shard-size", "lots");
        assertEquals("error: --shard-size 'lots' is not a size such as 128MiB or 1g\n", size.err());

        Result imagenet = TiebreakCli.run("ingest", "--dataset", "imagenet", "-i", "x", "-o", o);
        assertEquals("error: imagenet needs --image-size (e.g. 32, 64, 224)\n", imagenet.err());

        Result misplaced = TiebreakCli.run("ingest", "--dataset", "cifar10", "-i", "x", "-o", o, "--image-size", "32");
        assertEquals(ExitCodes.USER_ERROR, misplaced.exit());
        assertTrue(misplaced.err().contains("cifar10 is stored as published"), misplaced.err());

        Result missing = TiebreakCli.run("ingest", "--dataset", "svhn", "-i", tmp.resolve("nowhere").toString(), "-o", o);
        assertEquals(ExitCodes.USER_ERROR, missing.exit());
        assertTrue(missing.err().startsWith("error: file:") && missing.err().contains("nowhere: no such file or directory"), missing.err());
    }

    @Test
    void sizesTakeBinaryUnits() {
        assertEquals(4096, IngestCommand.parseBytes("4096"));
        assertEquals(64L << 10, IngestCommand.parseBytes("64k"));
        assertEquals(128L << 20, IngestCommand.parseBytes("128MiB"));
        assertEquals(1L << 30, IngestCommand.parseBytes("1g"));
    }
}
