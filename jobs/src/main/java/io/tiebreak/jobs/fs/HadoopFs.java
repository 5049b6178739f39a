package io.tiebreak.jobs.fs;

import io.tiebreak.jobs.errors.UserError;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * File access through Hadoop's FileSystem, so local paths, HDFS and s3a:// behave the same for every job. Paths in
 * messages go through {@link Redaction#uri}, so a URI carrying credentials never reaches a log or an error.
 */
public final class HadoopFs {
    private HadoopFs() {}

    /** Object stores: no atomic rename, and a file becomes visible whole when its writer closes. */
    private static final Set<String> OBJECT_STORES = Set.of("s3a", "s3", "s3n", "gs", "oss", "cosn", "obs");

    /**
     * Parses a user-supplied path or URI; a bare path is a local or default-FS path as Hadoop resolves it. A URI
     * carrying credentials (s3a://KEY:SECRET@bucket) is refused before Hadoop sees it: Hadoop would log it whole.
     */
    public static Path path(String s) {
        if (s == null || s.isBlank()) throw new UserError("empty path");
        URI uri;
        try {
            uri = new URI(s.replace(" ", "%20"));
        } catch (URISyntaxException e) {
            throw new UserError("'" + Redaction.uri(s) + "' is not a valid path or URI: " + e.getReason());
        }
        if (uri.getRawUserInfo() != null || (uri.getRawAuthority() != null && uri.getRawAuthority().contains("@"))) {
            throw new UserError("'" + Redaction.redactPatterns(s) + "' carries credentials in the URI; give them"
                    + " through Hadoop configuration (fs.s3a.access.key / fs.s3a.secret.key) or a credential provider");
        }
        return new Path(s);
    }

    public static FileSystem fs(Path p, Configuration conf) throws IOException {
        return p.getFileSystem(conf);
    }

    /** The fully qualified form (scheme and authority filled in), as stored in manifests after redaction. */
    public static Path qualify(Path p, Configuration conf) throws IOException {
        return fs(p, conf).makeQualified(p);
    }

    public static boolean isObjectStore(Path p, Configuration conf) throws IOException {
        String scheme = qualify(p, conf).toUri().getScheme();
        return scheme != null && OBJECT_STORES.contains(scheme);
    }

    public static boolean exists(Path p, Configuration conf) throws IOException {
        return fs(p, conf).exists(p);
    }

    /** Opens a file for reading; a missing file is a user error naming it. */
    public static FSDataInputStream open(Path p, Configuration conf) throws IOException {
        try {
            return fs(p, conf).open(p);
        } catch (FileNotFoundException e) {
            throw new UserError(Redaction.uri(p.toString()) + ": no such file");
        }
    }

    public static FileStatus status(Path p, Configuration conf) throws IOException {
        try {
            return fs(p, conf).getFileStatus(p);
        } catch (FileNotFoundException e) {
            throw new UserError(Redaction.uri(p.toString()) + ": no such file or directory");
        }
    }

    /** Creates (or with overwrite, replaces) a file; parent folders are made as needed. */
    public static FSDataOutputStream create(Path p, Configuration conf, boolean overwrite) throws IOException {
        return fs(p, conf).create(p, overwrite);
    }

    /** Reads a whole file, refusing files larger than maxBytes (one open, no separate status call). */
    public static byte[] readAll(Path p, Configuration conf, long maxBytes) throws IOException {
        try (InputStream in = open(p, conf)) {
            byte[] b = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
            if (b.length > maxBytes) {
                throw new IOException(Redaction.uri(p.toString()) + " is larger than the " + maxBytes + " bytes this reader takes");
            }
            return b;
        }
    }

    /**
     * Writes a small file so that readers see either the old content or the new, never a part: on object stores a
     * single PUT (the object appears when the stream closes), elsewhere a temporary file renamed over the target.
     */
    public static void writeAtomically(Path target, byte[] content, Configuration conf) throws IOException {
        if (isObjectStore(target, conf)) {
            try (FSDataOutputStream out = create(target, conf, true)) { out.write(content); }
            return;
        }
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
        try {
            try (FSDataOutputStream out = create(tmp, conf, false)) { out.write(content); }
            Path qualified = qualify(target, conf);
            FileContext.getFileContext(qualified.toUri(), conf).rename(tmp, target, Options.Rename.OVERWRITE);
        } finally {
            deleteQuietly(tmp, conf);
        }
    }

    /** Every file under dir (recursively) with no '_' or '.' name below dir (Hadoop's hidden files and folders). */
    public static List<FileStatus> listVisibleFiles(Path dir, Configuration conf) throws IOException {
        Path top = qualify(dir, conf);
        List<FileStatus> files = new ArrayList<>();
        for (FileStatus f : listFilesRecursively(top, conf)) if (!isHiddenBelow(f.getPath(), top)) files.add(f);
        return files;
    }

    /**
     * Every file under dir. Object stores list a whole prefix in pages (one flat listing); other file systems are
     * walked folder by folder with listStatus, because the local file system's listFiles builds a LocatedFileStatus
     * per file, which (without Hadoop's native library) forks a process per file to read its permissions.
     */
    public static List<FileStatus> listFilesRecursively(Path dir, Configuration conf) throws IOException {
        FileSystem fs = fs(dir, conf);
        List<FileStatus> files = new ArrayList<>();
        if (isObjectStore(dir, conf)) {
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
            while (it.hasNext()) files.add(it.next());
            return files;
        }
        java.util.ArrayDeque<Path> todo = new java.util.ArrayDeque<>(List.of(dir));
        while (!todo.isEmpty()) {
            for (FileStatus f : fs.listStatus(todo.pop())) {
                if (f.isDirectory()) todo.push(f.getPath());
                else files.add(f);
            }
        }
        return files;
    }

    private static boolean isHiddenBelow(Path p, Path top) {
        for (Path cur = p; cur != null && !cur.equals(top); cur = cur.getParent()) {
            if (cur.getName().startsWith("_") || cur.getName().startsWith(".")) return true;
        }
        return false;
    }

    /** The immediate children of dir, or an empty list when dir does not exist. */
    public static List<FileStatus> children(Path dir, Configuration conf) throws IOException {
        try {
            return List.of(fs(dir, conf).listStatus(dir));
        } catch (FileNotFoundException e) {
            return List.of();
        }
    }

    /** Deletes recursively; returns false instead of throwing (for clean-up after a failure). */
    public static boolean deleteQuietly(Path p, Configuration conf) {
        try {
            return fs(p, conf).delete(p, true);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
