package io.tiebreak.jobs.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.testing.FixedCatalog;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The zones grids in conf/zones plan the study's analyses. */
class ShippedZoneGridsTest {
    static final Path ZONES = ShippedGridsTest.CONF.resolve("zones");
    static final LrChoices SOME_LR = id -> OptionalDouble.of(0.01);

    private static Grid grid(String name, GridParser.Purpose purpose, String... sets) throws IOException {
        Path file = ZONES.resolve(name);
        return GridParser.parse(file.toString(), Files.readString(file), List.of(sets), purpose);
    }

    private static ZonePlanner.Plan plan(String name, String... sets) throws IOException {
        return ZonePlanner.plan(grid(name, GridParser.Purpose.ZONES, sets), FixedCatalog.standard(), SOME_LR, false);
    }

    private static <T> List<T> each(ZonePlanner.Plan p, java.util.function.Function<ZoneSpec, T> f) {
        return p.configs().stream().map(c -> f.apply(c.spec())).toList();
    }

    @Test
    void everyZonesGridPlans() throws IOException {
        try (Stream<Path> files = Files.list(ZONES)) {
            List<Path> grids = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
            assertEquals(8, grids.size(), grids.toString());
            for (Path f : grids) {
                String name = f.getFileName().toString();
                if (name.equals("training-sweep.yaml") || name.equals("textured.yaml")) continue;
                ZonePlanner.Plan p = plan(name);
                assertTrue(p.configs().size() > 0, name);
                assertTrue(each(p, s -> s.policyA().id()).stream().allMatch("first"::equals), name);
                assertTrue(each(p, s -> s.policyB().id()).stream().allMatch("min-norm"::equals), name);
                // the study's analyses name CIFAR-10 as it did; the quickstart runs on Debian's Fashion-MNIST
                String dataset = name.equals("quickstart.yaml") ? "fashion-mnist" : "cifar10";
                assertTrue(each(p, ZoneSpec::dataset).stream().allMatch(dataset::equals), name);
            }
        }
    }

    @Test
    void theStudysAnalysesVaryOneSettingAtInitialization() throws IOException {
        ZonePlanner.Plan precision = plan("precision.yaml");
        assertEquals(List.of(16, 32, 64), each(precision, s -> s.precision().bits()));
        assertEquals(List.of(390, 390, 390), precision.configs().stream().map(ZonePlanner.Config::minibatches).toList(),
                "every full batch of CIFAR-10's 50000 training images");
        assertEquals(List.of("vgg11", "vgg13", "vgg16", "vgg19"), each(plan("network.yaml"), s -> s.network().id()));
        ZonePlanner.Plan batch = plan("batch-size.yaml");
        assertEquals(List.of(64, 256, 512, 1024), each(batch, ZoneSpec::batchSize));
        assertEquals(List.of(781, 195, 97, 48), batch.configs().stream().map(ZonePlanner.Config::minibatches).toList());
        assertEquals(List.of("false/16", "false/32", "true/16", "true/32"),
                each(plan("batch-norm.yaml"), s -> s.batchNorm() + "/" + s.precision().bits()));
        for (String name : List.of("precision.yaml", "network.yaml", "batch-size.yaml", "batch-norm.yaml")) {
            assertTrue(each(plan(name), ZoneSpec::weights).stream().allMatch(ZoneSpec.INIT::equals), name);
        }
        // The measurement this repository reports: VGG11 on Fashion-MNIST stored as 32x32x3.
        ZonePlanner.Plan fashion = ZonePlanner.plan(grid("precision.yaml", GridParser.Purpose.ZONES,
                "dataset=fashion-mnist-32x3", "minibatches=100"), new FixedCatalog(FixedCatalog.FASHION_32X3), SOME_LR,
                false);
        assertEquals(List.of(100, 100, 100), fashion.configs().stream().map(ZonePlanner.Config::minibatches).toList());
        // The same on Fashion-MNIST with seeded dither (tiebreak dither, then ingest at 32x32x3).
        DatasetInfo dithered = new DatasetInfo("fashion-mnist-dither-32x3", 3, 32, 32, FixedCatalog.DIGITS,
                java.util.Map.of("train", 60000L, "test", 10000L), List.of(0.3, 0.3, 0.3), List.of(0.3, 0.3, 0.3),
                "fashion-mnist");
        ZonePlanner.Plan textured = ZonePlanner.plan(grid("textured.yaml", GridParser.Purpose.ZONES),
                new FixedCatalog(dithered), SOME_LR, false);
        assertEquals(List.of(16, 32, 64), each(textured, s -> s.precision().bits()));
        assertEquals(List.of(468, 468, 468), textured.configs().stream().map(ZonePlanner.Config::minibatches).toList());
        assertTrue(each(textured, ZoneSpec::policyA).stream().allMatch(PoolPolicy.FIRST::equals));
        assertTrue(each(textured, ZoneSpec::policyB).stream().allMatch(PoolPolicy.MIN_NORM::equals));
    }

    @Test
    void zonesAlongTrainingReadTheCheckpointsOfTheTrainingSweepsRun() throws IOException {
        Planner.Plan sweep = Planner.plan(grid("training-sweep.yaml", GridParser.Purpose.SWEEP),
                FixedCatalog.standard(), SOME_LR, false);
        assertEquals(1, sweep.runs().size());
        assertEquals(Grid.Checkpoints.ALL, grid("training-sweep.yaml", GridParser.Purpose.SWEEP).checkpoints());
        ZonePlanner.Plan training = plan("training.yaml");
        assertEquals(6, training.configs().size());
        assertEquals(java.util.Arrays.asList(null, 1, 10, 50, 100, 200), each(training, ZoneSpec::weightsEpoch));
        for (ZonePlanner.Config c : training.configs().subList(1, 6)) {
            assertEquals(sweep.runs().get(0).runId(), c.spec().sourceRunId());
        }
    }
}
