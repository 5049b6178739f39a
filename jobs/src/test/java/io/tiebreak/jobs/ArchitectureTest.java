package io.tiebreak.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The jobs' packages form layers and every reference between them points down (README, "Layout"): one package per
 * command on top, what the grid commands share (gridjob) below them, tables, grids and file systems below that.
 * The jobs stand on the runtime but not on its command line. Read from the sources: imports and qualified names.
 */
class ArchitectureTest {
    /** Each package's layer: a package may use packages of lower layers, and its own. */
    static final Map<String, Integer> LAYERS = Map.ofEntries(
            Map.entry("errors", 0), Map.entry("spark", 0),
            Map.entry("fs", 1),
            Map.entry("grid", 2), Map.entry("ingest", 2),
            Map.entry("results", 3), Map.entry("stats", 3),
            Map.entry("progress", 4),
            Map.entry("gridjob", 5),
            Map.entry("sweep", 6), Map.entry("lrsearch", 6), Map.entry("zones", 6), Map.entry("report", 6),
            Map.entry("sql", 6),
            Map.entry("cli", 7));

    static final Path MAIN = Path.of("src/main/java/io/tiebreak/jobs");
    private static final Pattern JOBS = Pattern.compile("\\bio\\.tiebreak\\.jobs\\.([a-z]+)\\b");
    /** Runtime packages the jobs must not use: the runtime's own command line and its check programs. */
    private static final Pattern RUNTIME_TOP = Pattern.compile("\\bio\\.tiebreak\\.runtime\\.(cli|check)\\b");

    /** The source without comments and string literals, so only code references count. */
    static String code(Path file) throws IOException {
        return Files.readString(file).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "")
                .replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
    }

    @Test
    void everyReferenceBetweenJobsPackagesPointsDownAndNoneReachesTheRuntimesCommandLine() throws IOException {
        TreeSet<String> wrong = new TreeSet<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(MAIN)) {
            files = s.filter(f -> f.toString().endsWith(".java")).toList();
        }
        assertTrue(files.size() > 50, "sources found: " + files.size());
        for (Path f : files) {
            String from = MAIN.relativize(f).getName(0).toString();
            assertTrue(LAYERS.containsKey(from), "a package without a layer: " + from + " (add it to LAYERS)");
            String code = code(f);
            Matcher m = JOBS.matcher(code);
            while (m.find()) {
                String to = m.group(1);
                if (to.equals(from)) continue;
                assertTrue(LAYERS.containsKey(to), f + " names an unknown package " + to);
                if (LAYERS.get(to) >= LAYERS.get(from)) wrong.add(MAIN.relativize(f) + " -> " + to);
            }
            Matcher r = RUNTIME_TOP.matcher(code);
            while (r.find()) wrong.add(MAIN.relativize(f) + " -> runtime." + r.group(1));
        }
        assertEquals(new TreeSet<>(), wrong, "references that point up or sideways");
    }
}
