package io.tiebreak.jobs.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.testing.FixedCatalog;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.precision.Precision;
import java.util.List;
import org.junit.jupiter.api.Test;

class ZonePlannerTest {
    private static final FixedCatalog CATALOG = new FixedCatalog(FixedCatalog.FASHION, FixedCatalog.CIFAR10,
            FixedCatalog.FASHION_32X3);

    private static ZonePlanner.Plan plan(String yaml, String... sets) {
        Grid g = GridParser.parse("z.yaml", yaml, List.of(sets), GridParser.Purpose.ZONES);
        return ZonePlanner.plan(g, CATALOG, LrChoices.NONE, false);
    }

    private static GridException failure(String yaml, String... sets) {
        return assertThrows(GridException.class, () -> plan(yaml, sets));
    }

    private static final String VGG = "dataset: fashion-mnist-32x3\nnetwork: vgg11\n";

    @Test
    void atInitializationAZonesGridNeedsNoTrainingSettingsAndComparesFirstWithMinNorm() {
        ZonePlanner.Plan p = plan(VGG + "precision: [fp16, fp32, fp64]\n");
        assertEquals(3, p.configs().size());
        ZoneSpec s = p.configs().get(0).spec();
        assertEquals(List.of("first", "min-norm"), List.of(s.policyA().id(), s.policyB().id()));
        assertEquals(ZoneSpec.INIT, s.weights());
        assertNull(s.weightsEpoch());
        assertNull(s.sourceRunId());
        assertEquals(128, s.batchSize());
        assertEquals(0, s.seed());
        assertEquals(new ModelSpec(ModelSpec.Network.VGG11, false, 3, 32, 32, 10), s.modelSpec());
        // Stored resized, still Fashion-MNIST: the MNIST family's 0.5/0.5 per channel, not the measured statistics.
        assertEquals(List.of(0.5, 0.5, 0.5), s.normMean());
        assertEquals(60000 / 128, p.configs().get(0).minibatches(), "minibatches: all is every full batch");
        assertEquals(List.of(Precision.FP16, Precision.FP32, Precision.FP64),
                p.configs().stream().map(c -> c.spec().precision()).toList());
    }

    @Test
    void theZoneIdDependsOnWhatIsMeasuredNotOnTrainingSettingsOrTheNumberOfMinibatches() {
        String id = plan(VGG + "minibatches: 10\n").configs().get(0).spec().zoneId();
        assertEquals(id, plan(VGG + "minibatches: 20\nlr: 0.5\nepochs: 7\npool: 1000\ndevice: auto\n")
                .configs().get(0).spec().zoneId());
        assertEquals(id, plan("network: vgg11\nminibatches: 10\ndataset: fashion-mnist-32x3\n").configs().get(0).spec().zoneId());
        for (String change : List.of("seeds: [1]", "batch_size: 64", "precision: fp16", "batch_norm: true",
                "policies: [first, last]", "relu_alpha: 0.5", "train_subset: 1000")) {
            assertNotEquals(id, plan(VGG + "minibatches: 3\n" + change + "\n").configs().get(0).spec().zoneId(), change);
        }
        // Training settings that differ only outside the zone configuration collapse to one configuration.
        ZonePlanner.Plan merged = plan(VGG + "lr: [0.1, 0.01]\nepochs: 3\n");
        assertEquals(1, merged.configs().size());
        assertEquals(1, merged.duplicatesMerged());
    }

    @Test
    void policiesAreAPairOrAListOfPairsWithTheCompositeFormWritten() {
        ZonePlanner.Plan p = plan(VGG + "policies: [[first, min-norm], [0, 1000/composite], [last, beta:1]]\n");
        assertEquals(List.of("first|min-norm", "beta:0/exact|beta:1000/composite", "last|beta:1/exact"),
                p.configs().stream().map(c -> c.spec().policyA() + "|" + c.spec().policyB()).toList());
        assertEquals(PoolPolicy.beta(1000, PoolPolicy.Form.COMPOSITE), p.configs().get(1).spec().policyB());

        GridException e = failure(VGG + "policies: [first, first]\n");
        assertTrue(e.getMessage().startsWith("z.yaml:3:11: the pair compares first with itself"), e.getMessage());
        e = failure(VGG + "policies: [first, min-norm, last]\n");
        assertTrue(e.getMessage().contains("policies takes a pair [A, B]"), e.getMessage());
        e = failure(VGG + "policies: [frist, min-norm]\n");
        assertTrue(e.getMessage().startsWith("z.yaml:3:12: unknown pool policy 'frist' (did you mean 'first'?)"),
                e.getMessage());
        e = failure(VGG + "policies: [first/composite, min-norm]\n");
        assertTrue(e.getMessage().contains("the composite form exists only for beta:B"), e.getMessage());
    }

    @Test
    void checkpointWeightsNameTheSweepRunAndNeedItsTrainingSettings() {
        GridException e = failure(VGG + "weights: [init, 4]\n");
        assertTrue(e.getMessage().contains("the grid must say 'lr'") && e.getMessage().contains("sweep grid's lr and"
                + " epochs"), e.getMessage());

        ZonePlanner.Plan p = plan(VGG + "weights: [init, 1, 4]\nlr: 0.05\nepochs: 5\n");
        assertEquals(3, p.configs().size());
        ZonePlanner.Config atFour = p.configs().get(2);
        assertEquals(4, atFour.spec().weightsEpoch());
        assertEquals(ZoneSpec.CHECKPOINT, atFour.spec().weights());
        assertEquals(atFour.run().runId(), atFour.spec().sourceRunId());
        assertEquals(0.05, atFour.run().training().lr());
        // The init configuration is the one an init-only grid plans: a training run starts from those weights.
        assertEquals(plan(VGG).configs().get(0).spec().zoneId(), p.configs().get(0).spec().zoneId());
        // Another training run (here: another lr) is another checkpoint, so another configuration.
        assertNotEquals(atFour.spec().zoneId(), plan(VGG + "weights: [4]\nlr: 0.1\nepochs: 5\n")
                .configs().get(0).spec().zoneId());

        e = failure(VGG + "weights: [init, 6]\nlr: 0.05\nepochs: 5\n");
        assertTrue(e.getMessage().startsWith("z.yaml:3:17: checkpoint epoch 6 does not exist:")
                && e.getMessage().contains("trains 5 epochs, numbered 1 to 5"), e.getMessage());
        e = failure(VGG + "weights: [init, 0]\nlr: 0.05\nepochs: 5\n");
        assertTrue(e.getMessage().contains("checkpoint epoch 0 does not exist") && e.getMessage().contains("'init'"),
                e.getMessage());
        e = failure(VGG + "weights: [begin]\n");
        assertTrue(e.getMessage().contains("weights are 'init' or the epoch of a sweep checkpoint"), e.getMessage());
    }

    @Test
    void minibatchesAreCheckedAgainstTheFullBatchesOfTheSplit() {
        assertEquals(7, plan(VGG + "minibatches: 7\n").configs().get(0).minibatches());
        assertEquals(1000 / 64, plan(VGG + "train_subset: 1000\nbatch_size: 64\n").configs().get(0).minibatches());
        GridException e = failure(VGG + "train_subset: 1000\nbatch_size: [64, 256]\nminibatches: 10\n");
        assertEquals("z.yaml:5:14: minibatches 10 is more than the 3 full batches of 1000 samples of"
                + " fashion-mnist-32x3/train at batch_size 256 (or say minibatches: all)", e.getMessage());
        e = failure(VGG + "minibatches: 0\n");
        assertTrue(e.getMessage().contains("minibatches (or 'all') must be at least 1"), e.getMessage());
    }

    @Test
    void zoneKeysBelongToZonesGridsAndSweepChecksStillApply() {
        GridException sweep = assertThrows(GridException.class, () -> GridParser.parse("s.yaml",
                VGG + "lr: 0.1\nepochs: 1\npolicies: [first, min-norm]\n", List.of(), GridParser.Purpose.SWEEP));
        assertTrue(sweep.getMessage().startsWith("s.yaml:5:1: unknown key 'policies'"), sweep.getMessage());
        GridException set = failure(VGG, "minibatch=3");
        assertTrue(set.getMessage().contains("unknown key 'minibatch' (did you mean 'minibatches'?)"), set.getMessage());
        assertEquals(3, plan(VGG, "minibatches=3").configs().get(0).minibatches());
        // Planner's own checks: VGG needs 32x32 inputs, which plain Fashion-MNIST does not have.
        GridException small = failure("dataset: fashion-mnist\nnetwork: vgg11\n");
        assertTrue(small.getMessage().contains("vgg11 needs inputs of at least 32x32"), small.getMessage());
    }
}
