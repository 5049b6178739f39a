package io.tiebreak.jobs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.fs.ReplaceableOutput.IfExists;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplaceableOutputTest {
    @TempDir Path tmp;
    private final Configuration conf = new Configuration();

    private List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc")).sorted().toList();
        }
    }

    private ReplaceableOutput writeVersion(Path dir, IfExists ifExists, String content) throws Exception {
        ReplaceableOutput out = ReplaceableOutput.prepare(new org.apache.hadoop.fs.Path(dir.toString()), "_commit", ifExists, conf);
        Path v = Files.createDirectories(Path.of(out.versionDir().toUri()));
        Files.writeString(v.resolve("data"), content);
        return out;
    }

    @Test
    void theCommitFileNamesTheCurrentVersionAndOlderOnesGoAfterIt() throws Exception {
        Path dir = tmp.resolve("out");
        ReplaceableOutput first = writeVersion(dir, IfExists.REFUSE, "one");
        first.commit(first.versionName().getBytes());
        assertEquals(List.of("_commit", first.versionName()), names(dir));

        ReplaceableOutput second = writeVersion(dir, IfExists.REPLACE, "two");
        assertEquals(java.util.Set.of("_commit", first.versionName(), second.versionName()), java.util.Set.copyOf(names(dir)));
        assertEquals(first.versionName(), Files.readString(dir.resolve("_commit")), "until the commit, readers see the old");
        second.commit(second.versionName().getBytes());
        assertEquals(List.of("_commit", second.versionName()), names(dir));
        assertEquals("two", Files.readString(dir.resolve(second.versionName()).resolve("data")));
    }

    @Test
    void abortRemovesOnlyTheUncommittedVersion() throws Exception {
        Path dir = tmp.resolve("out");
        ReplaceableOutput first = writeVersion(dir, IfExists.REFUSE, "one");
        first.commit("1".getBytes());
        ReplaceableOutput failed = writeVersion(dir, IfExists.REPLACE, "half");
        failed.abort();
        assertEquals(List.of("_commit", first.versionName()), names(dir));
        assertFalse(Files.exists(dir.resolve(failed.versionName())));
    }

    @Test
    void refusesExistingOutputsAndForeignFoldersAndFiles() throws Exception {
        Path dir = tmp.resolve("out");
        ReplaceableOutput first = writeVersion(dir, IfExists.REFUSE, "one");
        first.commit("1".getBytes());
        var refused = assertThrows(UserError.class, () -> writeVersion(dir, IfExists.REFUSE, "two"));
        assertTrue(refused.getMessage().endsWith("already exists and is not empty; pass --replace to replace it"), refused.getMessage());

        Files.writeString(tmp.resolve("afile"), "x");
        var file = assertThrows(UserError.class, () -> writeVersion(tmp.resolve("afile"), IfExists.REPLACE, "x"));
        assertTrue(file.getMessage().endsWith("is a file, expected a directory"), file.getMessage());

        Files.createDirectories(tmp.resolve("empty"));
        writeVersion(tmp.resolve("empty"), IfExists.REFUSE, "fine"); // an empty folder is no output yet
    }

    @Test
    void atomicWritesReplaceWholeFilesAndLeaveNoTemporaries() throws Exception {
        org.apache.hadoop.fs.Path f = new org.apache.hadoop.fs.Path(tmp.resolve("m.json").toString());
        HadoopFs.writeAtomically(f, "first".getBytes(), conf);
        HadoopFs.writeAtomically(f, "second".getBytes(), conf);
        assertEquals("second", Files.readString(tmp.resolve("m.json")));
        assertEquals(List.of("m.json"), names(tmp));
        var missing = assertThrows(UserError.class, () -> HadoopFs.open(new org.apache.hadoop.fs.Path(tmp.resolve("nope").toString()), conf));
        assertTrue(missing.getMessage().endsWith("nope: no such file"), missing.getMessage());
    }
}
