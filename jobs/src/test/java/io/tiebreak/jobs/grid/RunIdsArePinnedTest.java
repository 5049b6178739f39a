package io.tiebreak.jobs.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiebreak.jobs.testing.FixedCatalog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The run_ids and zone_ids of the shipped grids, pinned: results folders are keyed by them (a sweep skips the runs it
 * finds, a zones job the minibatches), so a refactoring that changed one would silently redo finished work.
 * Each value is the first id and a hash of all ids of the grid, in plan order. The pinned ids are those of runs in
 * host mode (--set reproducibility=host), what every run computed before the setting existed; portable runs, the
 * default now, compute other bits and so are other runs, with other ids.
 */
class RunIdsArePinnedTest {
    private static final LrChoices SOME_LR = id -> OptionalDouble.of(0.01);

    private static Grid grid(Path file, GridParser.Purpose purpose) throws IOException {
        return GridParser.parse(file.toString(), Files.readString(file), List.of("reproducibility=host"), purpose);
    }

    private static String digest(List<String> ids) {
        return ids.get(0) + " " + Canonical.hashId(String.join("\n", ids));
    }

    @Test
    void theShippedGridsKeepTheirRunIds() throws IOException {
        Map<String, String> got = new TreeMap<>();
        for (String name : List.of("quickstart.yaml", "study-lenet-mnist.yaml", "study-resnet18-cifar10.yaml",
                "study-resnet50-imagenet.yaml", "study-vgg11-cifar10.yaml", "study-vgg11-svhn.yaml")) {
            Planner.Plan p = Planner.plan(grid(ShippedGridsTest.CONF.resolve(name), GridParser.Purpose.SWEEP),
                    FixedCatalog.standard(), SOME_LR, false);
            got.put(name, digest(p.runs().stream().map(RunSpec::runId).toList()));
            got.put(name + " configs", digest(p.runs().stream().map(RunSpec::configId).toList()));
        }
        assertEquals(Map.ofEntries(
                Map.entry("quickstart.yaml", "585f197ff6e922c1 8b1cb02c613a04bd"),
                Map.entry("quickstart.yaml configs", "452529abd4b80bd2 936cef6378b60120"),
                Map.entry("study-lenet-mnist.yaml", "10dde6b797b150b8 084a82aa71025d9e"),
                Map.entry("study-lenet-mnist.yaml configs", "b2f6174b5eb7f0df a60bac5bf6fa24dc"),
                Map.entry("study-resnet18-cifar10.yaml", "c272fa5694de81cb 9e7dab9f94452324"),
                Map.entry("study-resnet18-cifar10.yaml configs", "f32296ec1faf0e54 2dc84684f65c7cda"),
                Map.entry("study-resnet50-imagenet.yaml", "a79fe7f0c94448af 205ab8d30390b97d"),
                Map.entry("study-resnet50-imagenet.yaml configs", "d32bb3a82575848a 58b336391fe5669a"),
                Map.entry("study-vgg11-cifar10.yaml", "13d2c6cb229c7c42 18356c402f6c4718"),
                Map.entry("study-vgg11-cifar10.yaml configs", "7da6a0437a3b053f 63d3ba9ccce32449"),
                Map.entry("study-vgg11-svhn.yaml", "4e45b364fd56c222 fd5aa3790dfcf661"),
                Map.entry("study-vgg11-svhn.yaml configs", "2f9bd480b0dc764e c00b490b3db9edae")), got);
    }

    @Test
    void portableRunsAreOtherRunsThanHostRuns() throws IOException {
        Path quickstart = ShippedGridsTest.CONF.resolve("quickstart.yaml");
        RunSpec host = Planner.plan(grid(quickstart, GridParser.Purpose.SWEEP), FixedCatalog.standard(), SOME_LR, false)
                .runs().get(0);
        RunSpec portable = Planner.plan(GridParser.parse("quickstart.yaml", Files.readString(quickstart),
                List.of("reproducibility=portable"), GridParser.Purpose.SWEEP), FixedCatalog.standard(), SOME_LR, false)
                .runs().get(0);
        assertEquals("585f197ff6e922c1", host.runId());
        assertEquals(false, host.canonicalConfig().contains("reproducibility"), host.canonicalConfig());
        assertEquals(true, portable.canonicalConfig().contains("\"reproducibility\":\"portable\""));
        assertEquals(false, portable.runId().equals(host.runId()));
        assertEquals(host.configId(), portable.configId(), "lr-search's choice holds for both modes");
    }

    @Test
    void theShippedZoneGridsKeepTheirZoneIds() throws IOException {
        Map<String, String> got = new TreeMap<>();
        for (String name : List.of("batch-norm.yaml", "batch-size.yaml", "network.yaml", "precision.yaml",
                "training.yaml")) {
            ZonePlanner.Plan p = ZonePlanner.plan(grid(ShippedZoneGridsTest.ZONES.resolve(name),
                    GridParser.Purpose.ZONES), FixedCatalog.standard(), SOME_LR, false);
            got.put(name, digest(p.configs().stream().map(c -> c.spec().zoneId()).toList()));
        }
        assertEquals(Map.ofEntries(
                Map.entry("batch-norm.yaml", "610b06b539458f52 b94ba0742dfbfbd1"),
                Map.entry("batch-size.yaml", "fb21c349a5183660 bf19a09e7fdc7739"),
                Map.entry("network.yaml", "134afb2c74076bad 76668b07c6f5cff5"),
                Map.entry("precision.yaml", "610b06b539458f52 e672aa03f08d5dd8"),
                // Changed once, on purpose, when epochs came to be numbered from 1: the weights after the first epoch
                // were weights_epoch 0 and are 1 now, and a zone's id names its weights (its init zone kept its id).
                Map.entry("training.yaml", "134afb2c74076bad 16cb2a97a5fcdc10")), got);
    }

    @Test
    void policiesOfEveryFormKeepTheirZoneIds() {
        String yaml = "dataset: fashion-mnist\nnetwork: lenet5\nminibatches: 2\n"
                + "policies: [[first, min-norm], [beta:10, 1000/composite], [last, all], [beta:0.5/exact, 1]]\n";
        ZonePlanner.Plan p = ZonePlanner.plan(GridParser.parse("z.yaml", yaml, List.of("reproducibility=host"),
                GridParser.Purpose.ZONES),
                FixedCatalog.standard(), SOME_LR, false);
        Map<String, String> got = new TreeMap<>();
        for (ZonePlanner.Config c : p.configs()) got.put(c.spec().policyA() + "|" + c.spec().policyB(), c.spec().zoneId());
        assertEquals(Map.ofEntries(
                Map.entry("beta:0.5/exact|beta:1/exact", "7baf7146893f5fe7"),
                Map.entry("beta:10/exact|beta:1000/composite", "f0778ae2ebf22ebf"),
                Map.entry("first|min-norm", "8258c64c90d46618"),
                Map.entry("last|all", "6d212b4410400959")), got);
    }
}
