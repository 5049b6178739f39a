package io.tiebreak.jobs.testing;

import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.GridParser;
import io.tiebreak.jobs.grid.LrChoices;
import io.tiebreak.jobs.grid.Planner;
import io.tiebreak.jobs.grid.RunSpec;
import java.util.List;

/** Runs planned from small grid texts, against the fixed catalog. */
public final class Specs {
    private Specs() {}

    /** The runs of a grid text, planned against the fixed catalog. */
    public static List<RunSpec> plan(String yaml) {
        Grid g = GridParser.parse("test.yaml", yaml, List.of(), GridParser.Purpose.SWEEP);
        return Planner.plan(g, FixedCatalog.standard(), LrChoices.NONE, false).runs();
    }

    /** LeNet-5 on Fashion-MNIST: the given YAML lines are added to (or replace, via --set) the base. */
    public static List<RunSpec> lenet(int runs, String... sets) {
        String yaml = "dataset: fashion-mnist\nnetwork: lenet5\nlr: 0.01\nepochs: 2\nrepeats: " + runs + "\n";
        Grid g = GridParser.parse("test.yaml", yaml, List.of(sets), GridParser.Purpose.SWEEP);
        return Planner.plan(g, FixedCatalog.standard(), LrChoices.NONE, false).runs();
    }
}
