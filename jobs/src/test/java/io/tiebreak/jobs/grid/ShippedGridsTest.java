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
                if (!f.getFileName().toString().equals("quickstart.yaml")) {
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
    }
}
