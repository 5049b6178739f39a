package io.tiebreak.jobs.fs;

import io.tiebreak.jobs.errors.UserError;
import java.io.IOException;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * An output directory replaced atomically on every file system, object stores included (where renaming a directory
 * is neither atomic nor cheap). New content goes into a fresh version folder beside the old one; then one small
 * commit file (written in a single atomic put or rename) names the current version, and only after that are older
 * versions deleted. Readers go through the commit file, so they see the old output or the new, never a mix; a job
 * that dies before its commit leaves the old output as it was.
 *
 * <pre>
 *   out/_dataset.json        the commit file (its content is the caller's: e.g. a manifest listing the files)
 *   out/v-&lt;id&gt;/...          the current version's files
 * </pre>
 */
public final class ReplaceableOutput {
    /** What to do when the output directory already holds something. */
    public enum IfExists { REFUSE, REPLACE }

    private static final String VERSION_PREFIX = "v-";
    /** What this class leaves in an output directory: the commit file, version folders, temporary commit files. */
    private static final Pattern OWN_ENTRY = Pattern.compile("v-[0-9a-f-]{36}|\\..*\\.tmp-[0-9a-f-]{36}");

    private final Path dir;
    private final Path commitFile;
    private final String version;
    private final Configuration conf;
    private boolean committed;

    private ReplaceableOutput(Path dir, String commitFileName, Configuration conf) {
        this.dir = dir;
        this.commitFile = new Path(dir, commitFileName);
        this.version = VERSION_PREFIX + UUID.randomUUID();
        this.conf = conf;
    }

    /**
     * Checks the directory before any work is done. With REFUSE an existing non-empty directory is a user error;
     * with REPLACE it must look like a previous output (only the commit file, version folders and temporaries),
     * so that a mistyped path never deletes someone's files.
     */
    public static ReplaceableOutput prepare(Path dir, String commitFileName, IfExists ifExists, Configuration conf)
            throws IOException {
        Path qualified = HadoopFs.qualify(dir, conf);
        String shown = Redaction.uri(qualified.toString());
        if (HadoopFs.exists(qualified, conf) && !HadoopFs.status(qualified, conf).isDirectory()) {
            throw new UserError("output " + shown + " is a file, expected a directory");
        }
        var children = HadoopFs.children(qualified, conf);
        if (!children.isEmpty()) {
            if (ifExists == IfExists.REFUSE) {
                throw new UserError("output " + shown + " already exists and is not empty; pass --replace"
                        + " to replace it");
            }
            for (FileStatus c : children) {
                String name = c.getPath().getName();
                if (!name.equals(commitFileName) && !OWN_ENTRY.matcher(name).matches()) {
                    throw new UserError("output " + shown + " holds '" + name + "', which no previous output"
                            + " wrote; refusing to replace that directory");
                }
            }
        }
        return new ReplaceableOutput(qualified, commitFileName, conf);
    }

    public Path dir() { return dir; }

    /** The folder the new version is written into (relative name: {@link #versionName()}). */
    public Path versionDir() { return new Path(dir, version); }

    public String versionName() { return version; }

    /** Makes the new version current: writes the commit file atomically, then deletes everything else. */
    public void commit(byte[] commitContent) throws IOException {
        HadoopFs.writeAtomically(commitFile, commitContent, conf);
        committed = true;
        for (FileStatus c : HadoopFs.children(dir, conf)) {
            String name = c.getPath().getName();
            if (!name.equals(version) && !name.equals(commitFile.getName())) HadoopFs.deleteQuietly(c.getPath(), conf);
        }
    }

    /** After a failure: deletes the uncommitted version folder (best effort), leaving the old output untouched. */
    public void abort() {
        if (!committed) HadoopFs.deleteQuietly(versionDir(), conf);
    }
}
