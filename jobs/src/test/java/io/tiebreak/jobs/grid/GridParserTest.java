package io.tiebreak.jobs.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.testing.FixedCatalog;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.precision.Precision;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GridParserTest {

    private static final String QUICK = String.join("\n",
            "name: small",
            "dataset: fashion-mnist",
            "network: lenet5",
            "precision: [fp32, fp16]",
            "pool: [0, 1, 1000]",
            "pool_form: composite",
            "optimizer: sgd",
            "lr: 0.01",
            "epochs: 2",
            "repeats: 2",
            "");

    private static Planner.Plan plan(String yaml, List<String> sets) {
        Grid g = GridParser.parse("g.yaml", yaml, sets, GridParser.Purpose.SWEEP);
        return Planner.plan(g, FixedCatalog.standard(), LrChoices.NONE, false);
    }

    private static GridException failure(String yaml) {
        return assertThrows(GridException.class, () -> plan(yaml, List.of()));
    }

    @Test
    void theProductOfTheAxesGivesOneRunPerPointWithDistinctIds() {
        Planner.Plan p = plan(QUICK, List.of());
        assertEquals(2 * 3 * 2, p.runs().size());
        Set<String> ids = new HashSet<>();
        p.runs().forEach(r -> ids.add(r.runId()));
        assertEquals(12, ids.size());
        RunSpec first = p.runs().get(0);
        assertEquals("train", first.data().trainSplit());
        assertEquals(List.of(0.5), first.input().normMean());
        assertEquals(0.9, first.optimizer().momentum());
        assertEquals(5e-4, first.optimizer().weightDecay());
        assertEquals(128, first.training().batchSize());
        assertEquals(100, first.training().testBatchSize());
        assertEquals(PoolPolicy.Kind.BETA, first.pool().kind());
        assertEquals(PoolPolicy.Form.COMPOSITE, first.pool().form());
    }

    @Test
    void runIdsDoNotDependOnKeyOrderOrNumberSpelling() {
        String reordered = String.join("\n",
                "epochs: 2", "lr: 1e-2", "repeats: 2", "pool_form: composite", "pool: ['beta:0', 'beta:1', 'beta:1000']",
                "precision: [32, 16]", "optimizer: {name: sgd, momentum: 0.90, weight_decay: 5e-4}",
                "network: LeNet-5", "dataset: fashion-mnist", "");
        Set<String> a = new HashSet<>(), b = new HashSet<>();
        plan(QUICK, List.of()).runs().forEach(r -> a.add(r.runId()));
        plan(reordered, List.of()).runs().forEach(r -> b.add(r.runId()));
        assertEquals(a, b);
    }

    @Test
    void theRunIdOfAKnownRunNeverChanges() {
        // Changing this id means every stored result would be re-run: bump RunSpec.CANONICAL_VERSION deliberately.
        // (Host mode: what runs computed before reproducibility existed, so the field stays out of the text.)
        RunSpec r = plan(QUICK, List.of("precision=fp32", "pool=first", "pool_form=exact", "repeats=1",
                "reproducibility=host")).runs().get(0);
        assertEquals("{\"v\":1,\"batch_norm\":false,\"batch_size\":128,\"beta\":null,\"beta1\":0.9,\"beta2\":0.999,"
                + "\"bits\":32,\"channels\":1,\"classes\":10,\"crop_padding\":0,\"dampening\":0,\"dataset\":\"fashion-mnist\","
                + "\"device\":\"cpu\",\"epochs\":2,\"eps\":1E-8,\"eta_min\":0,\"flip\":false,\"gamma\":1,"
                + "\"height\":28,\"lr\":0.01,\"momentum\":0.9,\"nesterov\":false,\"network\":\"lenet5\","
                + "\"norm_mean\":[0.5],\"norm_std\":[0.5],\"optimizer\":\"sgd\",\"pool\":\"first\",\"pool_form\":\"exact\","
                + "\"precision\":\"fp32\",\"relu_alpha\":0,\"schedule\":\"cosine\",\"seed\":0,\"step_size\":0,"
                + "\"test_batch_size\":100,\"test_split\":\"test\",\"test_subset\":0,\"train_split\":\"train\","
                + "\"train_subset\":0,\"weight_decay\":0.0005,\"width\":28}", r.canonicalConfig());
        assertEquals(Canonical.hashId(r.canonicalConfig()), r.runId());
        assertEquals(16, r.runId().length());
    }

    @Test
    void everyAxisAndTheSeedChangeTheRunIdButLrSeedAndEpochsKeepTheConfigId() {
        RunSpec r = plan(QUICK, List.of("repeats=1", "precision=fp32", "pool=0")).runs().get(0);
        RunSpec other = r.withLr(0.02);
        assertNotEquals(r.runId(), other.runId());
        assertEquals(r.configId(), other.configId());
        RunSpec seeded = r.withEpochsAndSeed(7, 3);
        assertNotEquals(r.runId(), seeded.runId());
        assertEquals(r.configId(), seeded.configId());
        RunSpec bn = plan(QUICK, List.of("repeats=1", "precision=fp32", "pool=0", "batch_norm=true")).runs().get(0);
        assertNotEquals(r.configId(), bn.configId());
    }

    @Test
    void theMicroBatchIsPartOfARunsIdentityAndItsDeviceCountIsNot() {
        List<String> one = List.of("repeats=1", "precision=fp32", "pool=0");
        RunSpec r = plan(QUICK, one).runs().get(0);
        assertEquals(128, r.training().microBatch(), "the batch size: one micro-batch per batch");
        assertEquals(1, r.devicesPerRun());
        assertTrue(!r.canonicalConfig().contains("micro_batch") && !r.canonicalConfig().contains("devices_per_run"),
                "a run as before micro-batches keeps its run_id: " + r.canonicalConfig());
        assertEquals(r.runId(), plan(QUICK + "micro_batch: 128\n", one).runs().get(0).runId());
        RunSpec cut = plan(QUICK + "micro_batch: 32\n", one).runs().get(0);
        assertNotEquals(r.runId(), cut.runId(), "other bits, another run");
        assertEquals(r.configId(), cut.configId(), "lr-search's choice holds for every micro-batch size");
        assertTrue(cut.canonicalConfig().contains("\"micro_batch\":32"), cut.canonicalConfig());
        RunSpec spread = plan(QUICK + "micro_batch: 32\ndevices_per_run: 4\n", one).runs().get(0);
        assertEquals(4, spread.devicesPerRun());
        assertEquals(cut.runId(), spread.runId(), "the device count changes no bit");
        assertEquals(32, spread.trainConfig().microBatch());
        Grid search = GridParser.parse("s.yaml", QUICK.replace("lr: 0.01\n", "") + "micro_batch: 32\ndevices_per_run: 2\n",
                List.of(), GridParser.Purpose.LR_SEARCH);
        RunSpec trial = Planner.plan(search, FixedCatalog.standard(), id -> OptionalDouble.of(1), false).runs().get(0);
        assertEquals(2, trial.devicesPerRun(), "lr-search grids take both keys");
        assertEquals(32, trial.training().microBatch());
    }

    @Test
    void devicesThatCannotShareTheMicroBatchesAreAnErrorAtDevicesPerRun() {
        GridException e = failure(QUICK + "micro_batch: 32\ndevices_per_run: 3\n");
        assertTrue(e.getMessage().contains("g.yaml:12:18: devices_per_run 3: a batch of 128 cut into micro-batches of 32"
                + " makes 4 micro-batches, which 3 devices cannot share equally"), e.getMessage());
        GridException big = failure(QUICK + "micro_batch: 256\n");
        assertTrue(big.getMessage().contains("g.yaml:11:14: micro_batch 256 is more than batch_size 128"), big.getMessage());
        GridException zero = failure(QUICK + "devices_per_run: 0\n");
        assertTrue(zero.getMessage().contains("devices_per_run"), zero.getMessage());
    }

    @Test
    void anUnknownKeyIsNamedWithItsLineColumnAndTheKeyMeant() {
        GridException e = failure(QUICK.replace("optimizer: sgd", "optimiser: sgd"));
        assertEquals(1, e.problems().size());
        String msg = e.problems().get(0).toString();
        assertTrue(msg.startsWith("g.yaml:7:1: unknown key 'optimiser'"), msg);
        assertTrue(msg.contains("did you mean 'optimizer'?"), msg);
    }

    @Test
    void wrongTypesAndUnknownValuesPointAtTheValue() {
        GridException e = failure(QUICK.replace("epochs: 2", "epochs: ten").replace("precision: [fp32, fp16]",
                "precision: [fp32, fp61]"));
        assertEquals(2, e.problems().size(), e.getMessage());
        assertEquals("g.yaml:4:19: unknown precision 'fp61' (did you mean 'fp16'?): expected fp16, fp32, fp64 or mixed"
                + " (or 16, 32, 64, 24)", e.problems().get(0).toString());
        assertEquals("g.yaml:9:9: expected epochs (a whole number), got 'ten'", e.problems().get(1).toString());
        assertTrue(e.getMessage().startsWith("2 problems in the grid:"), e.getMessage());
    }

    @Test
    void missingRequiredAxesAndBrokenYamlAreReported() {
        GridException e = failure("dataset: fashion-mnist\nnetwork: lenet5\n");
        assertEquals(2, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("the grid must say 'lr'"), e.getMessage());
        assertTrue(e.getMessage().contains("the grid must say 'epochs'"), e.getMessage());
        GridException y = failure("dataset: [fashion-mnist\nnetwork: lenet5\n");
        assertTrue(y.problems().get(0).toString().startsWith("g.yaml:2:"), y.getMessage());
        assertTrue(y.getMessage().contains("not valid YAML"), y.getMessage());
        GridException dup = failure(QUICK + "epochs: 3\n");
        assertTrue(dup.getMessage().contains("g.yaml:11:1: 'epochs' is given twice (first at line 9)"), dup.getMessage());
    }

    @Test
    void impossibleCombinationsAreErrorsAtTheValueThatCausesThem() {
        GridException vgg = failure(QUICK.replace("network: lenet5", "network: [lenet5, vgg11]"));
        assertEquals("g.yaml:3:19: vgg11 needs inputs of at least 32x32, fashion-mnist has 28x28",
                vgg.problems().get(0).toString());
        GridException form = failure(QUICK.replace("pool: [0, 1, 1000]", "pool: [first, 1000]"));
        assertTrue(form.getMessage().startsWith("g.yaml:6:12: pool_form composite exists only for beta:B"),
                form.getMessage());
        GridException subset = failure(QUICK + "train_subset: 100\nbatch_size: 128\ntest_subset: 20000\n");
        assertEquals(2, subset.problems().size(), subset.getMessage());
        assertTrue(subset.getMessage().contains("g.yaml:12:13: batch_size 128 is more than the 100 training samples"),
                subset.getMessage());
        assertTrue(subset.getMessage().contains("g.yaml:13:14: test_subset 20000 is more than the 10000 samples"),
                subset.getMessage());
        GridException dataset = failure(QUICK.replace("dataset: fashion-mnist", "dataset: fashion-mnsit"));
        assertTrue(dataset.getMessage().contains("g.yaml:2:10: no dataset 'fashion-mnsit' under test-data"
                + " (did you mean 'fashion-mnist'?)"), dataset.getMessage());
        GridException split = failure(QUICK.replace("dataset: fashion-mnist", "dataset: fashion-mnist\ntrain_split: extra"));
        assertTrue(split.getMessage().contains("has no split 'extra'"), split.getMessage());
        GridException nesterov = failure(QUICK.replace("optimizer: sgd", "optimizer: {name: sgd, momentum: 0, nesterov: true}"));
        assertTrue(nesterov.getMessage().contains("g.yaml:7:12: impossible optimizer settings"), nesterov.getMessage());
    }

    @Test
    void theStudysDatasetDefaultsApply() {
        Planner.Plan p = plan(QUICK.replace("dataset: fashion-mnist", "dataset: [cifar10, svhn]")
                .replace("network: lenet5", "network: vgg11"), List.of("repeats=1", "precision=32", "pool=0"));
        RunSpec cifar = p.runs().get(0), svhn = p.runs().get(1);
        assertEquals(4, cifar.input().cropPadding());
        assertTrue(cifar.input().flip());
        assertEquals(List.of(0.4914, 0.4822, 0.4465), cifar.input().normMean());
        assertEquals("extra", svhn.data().trainSplit());
        assertEquals(0, svhn.input().cropPadding());
        assertEquals(List.of(0.5, 0.5, 0.5), svhn.input().normStd());
    }

    @Test
    void aGridOverItsSizeLimitNeedsForce() {
        String big = QUICK.replace("repeats: 2", "repeats: 2\nmax_runs: 10");
        GridException e = failure(big);
        assertEquals("g.yaml:1:1: the grid makes 12 runs, over its limit of 10: raise max_runs in the grid or pass"
                + " --force", e.problems().get(0).toString());
        Grid g = GridParser.parse("g.yaml", big, List.of(), GridParser.Purpose.SWEEP);
        assertEquals(12, Planner.plan(g, FixedCatalog.standard(), LrChoices.NONE, true).runs().size());
    }

    @Test
    void overridesChangeMatchingRunsAndOneThatNeverAppliesIsAnError() {
        String withAdam = QUICK.replace("optimizer: sgd", "optimizer: [sgd, adam]") + String.join("\n",
                "overrides:",
                "  - when: {optimizer: adam}",
                "    set: {epochs: 1, lr: [0.001, 0.002]}",
                "");
        Planner.Plan p = plan(withAdam, List.of());
        long adam = p.runs().stream().filter(r -> r.optimizer().kind().id().equals("adam")).count();
        assertEquals(12, p.runs().stream().filter(r -> r.optimizer().kind().id().equals("sgd")).count());
        assertEquals(24, adam);
        assertTrue(p.runs().stream().filter(r -> r.optimizer().kind().id().equals("adam")).allMatch(r -> r.training().epochs() == 1));
        GridException never = failure(QUICK + "overrides:\n  - when: {precision: fp64}\n    set: {epochs: 1}\n");
        assertEquals("g.yaml:12:5: this override never applies: no run has precision: fp64",
                never.problems().get(0).toString());
        GridException badAxis = failure(QUICK + "overrides:\n  - when: {precison: fp16}\n    set: {epochs: 1}\n");
        assertTrue(badAxis.getMessage().contains("g.yaml:12:12: unknown axis 'precison' in when (did you mean"
                + " 'precision'?)"), badAxis.getMessage());
    }

    @Test
    void setOnTheCommandLineReplacesTopLevelKeys() {
        Planner.Plan p = plan(QUICK, List.of("epochs=1", "precision=[fp64]", "train_subset=512"));
        assertEquals(6, p.runs().size());
        assertTrue(p.runs().stream().allMatch(r -> r.training().epochs() == 1 && r.precision() == Precision.FP64
                && r.data().trainSubset() == 512));
        GridException e = assertThrows(GridException.class, () -> plan(QUICK, List.of("epoch=1")));
        assertEquals("--set epoch=1:1:1: unknown key 'epoch' (did you mean 'epochs'?)", e.problems().get(0).toString());
        GridException v = assertThrows(GridException.class, () -> plan(QUICK, List.of("epochs=zero")));
        assertEquals("--set epochs=zero:1:1: expected epochs (a whole number), got 'zero'", v.problems().get(0).toString());
    }

    @Test
    void lrBestTakesLrSearchsChoicePerConfiguration() {
        String best = QUICK.replace("lr: 0.01", "lr: best");
        Grid g = GridParser.parse("g.yaml", best, List.of(), GridParser.Purpose.SWEEP);
        GridException missing = assertThrows(GridException.class,
                () -> Planner.plan(g, FixedCatalog.standard(), LrChoices.NONE, false));
        assertTrue(missing.getMessage().contains("g.yaml:8:5: lr: best, but lr-search has no result for"),
                missing.getMessage());
        Planner.Plan withLr = plan(QUICK, List.of());
        Map<String, Double> chosen = new java.util.HashMap<>();
        withLr.runs().forEach(r -> chosen.put(r.configId(), r.precision() == Precision.FP16 ? 0.003 : 0.03));
        Planner.Plan p = Planner.plan(g, FixedCatalog.standard(),
                id -> chosen.containsKey(id) ? OptionalDouble.of(chosen.get(id)) : OptionalDouble.empty(), false);
        assertEquals(12, p.runs().size());
        assertTrue(p.runs().stream().allMatch(r -> r.training().lr() == (r.precision() == Precision.FP16 ? 0.003 : 0.03)));
    }

    @Test
    void lrSearchGridsMayNotNameLr() {
        GridException e = assertThrows(GridException.class,
                () -> GridParser.parse("g.yaml", QUICK, List.of(), GridParser.Purpose.LR_SEARCH));
        assertTrue(e.getMessage().startsWith("g.yaml:8:1: lr-search draws the learning rate itself"), e.getMessage());
        Grid g = GridParser.parse("g.yaml", QUICK.replace("lr: 0.01\n", "lr_search: {trials: 4, sampler: tpe}\n"),
                List.of(), GridParser.Purpose.LR_SEARCH);
        assertEquals(4, g.lrSearch().trials());
        assertEquals(LrSearchSettings.Sampler.TPE, g.lrSearch().sampler());
        GridException typo = assertThrows(GridException.class, () -> GridParser.parse("g.yaml",
                QUICK.replace("lr: 0.01\n", "lr_search: {trails: 4}\n"), List.of(), GridParser.Purpose.LR_SEARCH));
        assertTrue(typo.getMessage().contains("unknown key 'trails' in lr_search (did you mean 'trials'?)"),
                typo.getMessage());
    }

    @Test
    void duplicatePointsCollapseToOneRun() {
        Planner.Plan p = plan(QUICK.replace("lr: 0.01", "lr: [0.01, 1e-2]"), List.of());
        assertEquals(12, p.runs().size());
        assertEquals(12, p.duplicatesRemoved());
    }
}
