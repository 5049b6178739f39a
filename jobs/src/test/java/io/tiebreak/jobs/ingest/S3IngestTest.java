package io.tiebreak.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.fs.ReplaceableOutput.IfExists;
import io.tiebreak.jobs.testing.CapturedLogs;
import io.tiebreak.jobs.testing.DatasetFiles;
import io.tiebreak.jobs.testing.S3ProxyServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole ingest on s3a:// against a real S3 server on loopback (S3Proxy), through the magic committer. */
@Tag("slow")
class S3IngestTest {
    private static S3ProxyServer s3;

    @TempDir Path tmp;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyServer.start("data");
        s3.configure(Ingests.conf());
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) s3.close();
    }

    private void upload(Path local, String s3aDir) throws Exception {
        Configuration conf = Ingests.conf();
        org.apache.hadoop.fs.Path dst = new org.apache.hadoop.fs.Path(s3aDir);
        FileSystem fs = dst.getFileSystem(conf); // cached and shared: not closed here
        try (Stream<Path> files = Files.list(local)) {
            for (Path f : files.toList()) fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(f.toString()), new org.apache.hadoop.fs.Path(dst, f.getFileName().toString()));
        }
    }

    /** Every object S3Proxy stores, as text, to look for leaked credentials. */
    private String everythingStored() throws Exception {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.walk(s3.root())) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                sb.append(p).append('\n').append(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
            }
        }
        return sb.toString();
    }

    @Test
    void ingestsFromAndToS3ThroughTheMagicCommitterAndReadsBack() throws Exception {
        Path local = tmp.resolve("mnist");
        DatasetFiles.idxPair(local, "", "train", 30, 8, 8, 10, true, false);
        DatasetFiles.idxPair(local, "", "t10k", 10, 8, 8, 10, true, false);
        upload(local, "s3a://data/in/mnist");

        Manifest first;
        try (CapturedLogs logs = new CapturedLogs()) {
            first = Ingests.ingest(IngestOptions.of(Dataset.MNIST, "s3a://data/in/mnist", "s3a://data/out", IfExists.REFUSE, 1024));
            assertTrue(logs.text().contains("IngestJob: wrote mnist"), logs.text());
            assertFalse(logs.text().contains(s3.secretKey()) || logs.text().contains(s3.accessKey()), "credentials logged");
        }

        assertEquals(2, first.split("train").shards().size());
        assertEquals("s3a://data/in/mnist", first.source());
        String success = new String(Files.readAllBytes(s3.root().resolve("data/out/" + first.ingestId() + "/_SUCCESS")),
                StandardCharsets.UTF_8);
        assertTrue(success.contains("\"committer\":\"magic\""), success.substring(0, Math.min(300, success.length())));
        DatasetReader.clearCache();
        Ingests.assertSamples(DatasetReader.open("s3a://data/out", "train", Ingests.conf()), 30,
                i -> DatasetFiles.samplePixels(i, 1, 8, 8), i -> DatasetFiles.label(i, 10));
        Ingests.assertSamples(DatasetReader.open("s3a://data/out", "test", Ingests.conf(), new DatasetReader.Options(0, 1)), 10,
                i -> DatasetFiles.samplePixels(i, 1, 8, 8), i -> DatasetFiles.label(i, 10));

        var refused = assertThrows(UserError.class, () -> Ingests.ingest(
                IngestOptions.of(Dataset.MNIST, "s3a://data/in/mnist", "s3a://data/out", IfExists.REFUSE, 1024)));
        assertTrue(refused.getMessage().contains("s3a://data/out already exists"), refused.getMessage());
        Manifest second = Ingests.ingest(IngestOptions.of(Dataset.MNIST, "s3a://data/in/mnist", "s3a://data/out", IfExists.REPLACE, 4096));
        assertNotEquals(first.ingestId(), second.ingestId());
        // What S3 holds under the output (S3Proxy's file backend may keep empty folders; S3 has none).
        FileSystem fs = new org.apache.hadoop.fs.Path("s3a://data/").getFileSystem(Ingests.conf());
        List<String> objects = new java.util.ArrayList<>();
        var it = fs.listFiles(new org.apache.hadoop.fs.Path("s3a://data/out"), true);
        while (it.hasNext()) objects.add(it.next().getPath().toUri().getPath());
        assertTrue(objects.contains("/out/_dataset.json"), objects.toString());
        assertTrue(objects.stream().allMatch(o -> o.equals("/out/_dataset.json") || o.startsWith("/out/" + second.ingestId() + "/")),
                objects.toString());
        String stored = everythingStored();
        assertFalse(stored.contains(s3.secretKey()), "secret key stored in S3");
        assertFalse(stored.contains(s3.accessKey()), "access key stored in S3");
    }

    @Test
    void errorsOnS3NameThePathButNeverTheCredentials() {
        CapturedLogs logs = new CapturedLogs();
        var missing = assertThrows(UserError.class, () -> Ingests.ingest(
                IngestOptions.of(Dataset.CIFAR10, "s3a://data/nothing-here.tar.gz", "s3a://data/out-missing", IfExists.REFUSE, 1024)));
        assertTrue(missing.getMessage().contains("s3a://data/nothing-here.tar.gz: no such file"), missing.getMessage());
        assertFalse(missing.getMessage().contains(s3.secretKey()) || missing.getMessage().contains(s3.accessKey()));

        // A URI that carries credentials is never echoed with them.
        String withSecret = "s3a://" + s3.accessKey() + ":" + s3.secretKey() + "@data/in";
        var e = assertThrows(UserError.class, () -> Ingests.ingest(
                IngestOptions.of(Dataset.MNIST, withSecret, "s3a://data/out-x", IfExists.REFUSE, 1024)));
        assertEquals("'s3a://<redacted>@data/in' carries credentials in the URI; give them through Hadoop configuration"
                + " (fs.s3a.access.key / fs.s3a.secret.key) or a credential provider", e.getMessage());
        logs.close();
        assertFalse(logs.text().contains(s3.secretKey()) || logs.text().contains(s3.accessKey()), logs.text());
    }
}
