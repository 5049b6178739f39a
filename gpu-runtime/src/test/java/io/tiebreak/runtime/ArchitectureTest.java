package io.tiebreak.runtime;

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
 * The runtime's packages form layers, and every reference between packages points down (README, "Layout"): a
 * kernel never reaches up to what trains with it. Read from the sources: imports and qualified names in code.
 */
class ArchitectureTest {
    /** Each package's layer: a package may use packages of lower layers, and its own. */
    static final Map<String, Integer> LAYERS = Map.ofEntries(
            Map.entry("precision", 0), Map.entry("random", 0), Map.entry("jacobian", 0),
            Map.entry("tensor", 1),
            Map.entry("backend", 2),
            Map.entry("parallel", 3), Map.entry("data", 3),
            Map.entry("nn", 4),
            Map.entry("models", 5), Map.entry("optim", 5), Map.entry("io", 5),
            Map.entry("train", 6), Map.entry("zones", 6),
            Map.entry("check", 7),
            Map.entry("cli", 8));

    static final Path MAIN = Path.of("src/main/java/io/tiebreak/runtime");
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.tiebreak\\.runtime\\.([a-z]+)\\b");

    /** The source without comments and string literals, so only code references count. */
    static String code(Path file) throws IOException {
        return Files.readString(file).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "")
                .replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
    }

    /** The top-level runtime package of a source file: backend for backend/cpu/CpuBackend.java. */
    static String packageOf(Path file) {
        return MAIN.relativize(file).getName(0).toString();
    }

    @Test
    void everyReferenceBetweenRuntimePackagesPointsDown() throws IOException {
        TreeSet<String> upward = new TreeSet<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(MAIN)) {
            files = s.filter(f -> f.toString().endsWith(".java")).toList();
        }
        assertTrue(files.size() > 50, "sources found: " + files.size());
        for (Path f : files) {
            String from = packageOf(f);
            assertTrue(LAYERS.containsKey(from), "a package without a layer: " + from + " (add it to LAYERS)");
            Matcher m = REFERENCE.matcher(code(f));
            while (m.find()) {
                String to = m.group(1);
                if (to.equals(from)) continue;
                assertTrue(LAYERS.containsKey(to), f + " names an unknown package " + to);
                if (LAYERS.get(to) >= LAYERS.get(from)) upward.add(MAIN.relativize(f) + " -> " + to);
            }
        }
        assertEquals(new TreeSet<>(), upward, "references that point up or sideways");
    }
}
