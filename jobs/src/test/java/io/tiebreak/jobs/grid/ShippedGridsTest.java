package io.tiebreak.jobs.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.testing.FixedCatalog;
import io.tiebreak.runtime.precision.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every grid in conf/ is valid and makes the runs the reference study made. */
class ShippedGridsTest {
    static final Path CONF = Path.of(System.getProperty("user.dir")).getParent().resolve("conf");

    private static Planner.Plan plan(String name, GridParser.Purpose purpose) throws IOException {
        Path file = CONF.resolve(name);
        Grid g = GridParser.parse(file.toString(), Files.readString(file), List.of(), purpose);
        return Planner.plan(g, FixedCatalog.standard(), id -> OptionalDouble.of(0.01), false);
    }

    private static Map<String, Long> count(Planner.Plan p, java.util.function.Function<RunSpec, String> key) {
        return p.runs().stream().collect(Collectors.groupingBy(key, Collectors.counting()));
    }

    @Test
    void everyShippedGridPlansForSweepsAndLrSearch() throws IOException {
        try (Stream<Path> files = Files.list(CONF)) {
            List<Path> grids = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
            assertTrue(grids.size() >= 6, "grids: " + grids);
            for (Path f : grids) {
                assertTrue(plan(f.getFileName().toString(), GridParser.Purpose.SWEEP).runs().size() > 0, f.toString());
                // The quickstart and the miniature study fix their learning rates: nothing for lr-search to draw.
                if (!List.of("quickstart.yaml", "fidelity-fashion-mnist.yaml").contains(f.getFileName().toString())) {
                    plan(f.getFileName().toString(), GridParser.Purpose.LR_SEARCH);
                }
            }
        }
    }

    @Test
    void theQuickstartIsSmall() throws IOException {
        Planner.Plan p = plan("quickstart.yaml", GridParser.Purpose.SWEEP);
        assertEquals(6, p.runs().size());
        assertTrue(p.runs().stream().allMatch(r -> r.data().dataset().equals("fashion-mnist") && r.device() == Device.CPU));
    }

    @Test
    void theMiniatureStudyCrossesEveryAxisTheIssueNames() throws IOException {
        Planner.Plan p = plan("fidelity-fashion-mnist.yaml", GridParser.Purpose.SWEEP);
        assertEquals(2 * 2 * 3 * 6 * 3, p.runs().size());
        assertEquals(Map.of("sgd/16", 36L, "sgd/24", 36L, "sgd/32", 36L, "adam/16", 36L, "adam/24", 36L, "adam/32", 36L),
                count(p, r -> r.optimizer().kind().id() + "/" + r.precision().bits()));
        assertTrue(p.runs().stream().allMatch(r -> r.model().network().id().equals("lenet5") && r.data().testSubset() == 0
                && r.pool().form().id().equals("composite") && r.device() == Device.CPU));
    }

    @Test
    void lenetOnMnistHasTheStudysRepeatsPerSetting() throws IOException {
        Planner.Plan p = plan("study-lenet-mnist.yaml", GridParser.Purpose.SWEEP);
        Map<String, Long> perSetting = count(p, r -> r.optimizer().kind().id() + "/" + r.precision().bits() + "/" + r.training().epochs());
        assertEquals(Map.of("sgd/16/100", 120L, "sgd/32/100", 120L, "sgd/24/100", 12L, "adam/32/80", 120L), perSetting);
        assertEquals(12 * 4, count(p, RunSpec::configId).size());
        assertTrue(p.runs().stream().allMatch(r -> r.pool().form().id().equals("composite")));
    }

    @Test
    void theCifarAndSvhnGridsMatchTheReferenceRows() throws IOException {
        assertEquals(Map.of("sgd/16", 120L, "sgd/32", 60L, "adam/32", 120L),
                count(plan("study-vgg11-cifar10.yaml", GridParser.Purpose.SWEEP),
                        r -> r.optimizer().kind().id() + "/" + r.precision().bits()));
        assertEquals(240, plan("study-resnet18-cifar10.yaml", GridParser.Purpose.SWEEP).runs().size());
        Planner.Plan svhn = plan("study-vgg11-svhn.yaml", GridParser.Purpose.SWEEP);
        assertEquals(72, svhn.runs().size());
        assertTrue(svhn.runs().stream().allMatch(r -> r.data().trainSplit().equals("extra")));
        Planner.Plan imagenet = plan("study-resnet50-imagenet.yaml", GridParser.Purpose.SWEEP);
        assertTrue(imagenet.runs().stream().allMatch(r -> r.precision() == Precision.MIXED && r.model().height() == 224));
        assertEquals(60, plan("study-densenet121-cifar10.yaml", GridParser.Purpose.SWEEP).runs().size());
    }

    /**
     * Every run of a study grid is a row of the reference table, with the row's epochs and as many repeats as its
     * runs column. (The reference has no ImageNet rows: study-resnet50-imagenet.yaml is the study's setup without
     * published numbers.)
     */
    @Test
    void theStudyGridsRunTheReferenceRowsWithTheirEpochsAndRepeats() throws IOException {
        io.tiebreak.jobs.report.ReferenceTable reference = io.tiebreak.jobs.report.ReferenceTable.bundled();
        try (Stream<Path> files = Files.list(CONF)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("study-")).sorted().toList()) {
                if (f.getFileName().toString().equals("study-resnet50-imagenet.yaml")) continue;
                Map<String, List<RunSpec>> bySetting = plan(f.getFileName().toString(), GridParser.Purpose.SWEEP).runs()
                        .stream().collect(Collectors.groupingBy(r -> r.withEpochsAndSeed(r.training().epochs(), 0).runId()));
                for (List<RunSpec> repeats : bySetting.values()) {
                    RunSpec r = repeats.get(0);
                    var row = reference.find(r.data().dataset(), r.model().network().id(), r.model().batchNorm(),
                            r.optimizer().kind().id(), r.precision().bits(), r.pool().name(), r.pool().beta());
                    assertTrue(row.isPresent(), f.getFileName() + ": no reference row for " + r.label());
                    assertEquals(row.get().epochs(), r.training().epochs(), f.getFileName() + ": epochs of " + r.label());
                    assertEquals(row.get().runs(), repeats.size(), f.getFileName() + ": repeats of " + r.label());
                }
            }
        }
    }
}
