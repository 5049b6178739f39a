package io.tiebreak.jobs.grid;

import io.tiebreak.runtime.jacobian.PoolPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a grid file into a {@link Grid}, checking every key and value; all problems are reported together, each
 * with file, line and column. Command-line {@code --set key=value} entries replace top-level keys (value in YAML),
 * so a long grid can be shortened for a test without editing it.
 */
public final class GridParser {
    private GridParser() {}

    /**
     * What the grid is for: a sweep needs lr (a value or 'best'); lr-search draws lr itself; zones adds the keys of
     * {@link ZoneAxes} and needs lr and epochs only for weights from a sweep's checkpoints.
     */
    public enum Purpose { SWEEP, LR_SEARCH, ZONES }

    static final int DEFAULT_MAX_RUNS = 10_000;

    private static final List<String> OTHER_KEYS =
            List.of("name", "description", "repeats", "overrides", "max_runs", "checkpoints", "lr_search");

    /** Every top-level key a grid for this purpose may have. */
    static List<String> topLevelKeys(Purpose purpose) {
        List<String> keys = new ArrayList<>(Axis.keys());
        keys.addAll(OTHER_KEYS);
        if (purpose == Purpose.ZONES) keys.addAll(ZoneAxes.KEYS);
        return keys;
    }

    public static Grid parse(String file, String text, List<String> sets, Purpose purpose) {
        Problems problems = new Problems();
        YamlReader r = new YamlReader(file, problems);
        Node root = r.parse(text);
        Map<String, Source> entries = new LinkedHashMap<>();
        if (root != null) {
            r.mapping(root, "a grid").forEach((k, e) -> entries.put(k, new Source(r, e)));
        }
        for (String set : sets) applySet(set, entries, problems, purpose);
        problems.throwIfAny();
        Grid grid = build(file, entries, purpose, problems, r);
        problems.throwIfAny();
        return grid;
    }

    /** An entry and the reader (file) it came from: the grid file, or a --set argument. */
    private record Source(YamlReader reader, YamlReader.Entry entry) {
        Node value() { return entry.value(); }
    }

    private static void applySet(String set, Map<String, Source> entries, Problems problems, Purpose purpose) {
        String label = "--set " + set;
        int eq = set.indexOf('=');
        Position at = new Position(label, 1, 1);
        if (eq <= 0) {
            problems.add(at, "expected --set key=value, e.g. --set epochs=1");
            return;
        }
        String key = set.substring(0, eq).trim();
        if (!topLevelKeys(purpose).contains(key)) {
            problems.add(at, "unknown key '" + key + "'" + DidYouMean.hint(key, topLevelKeys(purpose)));
            return;
        }
        YamlReader sr = new YamlReader(label, problems);
        Node value = sr.parse(set.substring(eq + 1));
        if (value != null) entries.put(key, new Source(sr, new YamlReader.Entry(key, at, value)));
    }

    private static Grid build(String file, Map<String, Source> entries, Purpose purpose, Problems problems,
                              YamlReader fileReader) {
        List<String> known = topLevelKeys(purpose);
        for (Source s : entries.values()) {
            String key = s.entry().key();
            if (!known.contains(key)) {
                problems.add(s.entry().keyAt(), "unknown key '" + key + "'" + DidYouMean.hint(key, known)
                        + "; a grid's keys are: " + String.join(", ", known));
            }
        }
        String name = fileStem(file);
        if (entries.containsKey("name")) {
            Source s = entries.get("name");
            String n = s.reader().text(s.value(), "a grid name");
            if (n != null) name = n;
        }
        if (entries.containsKey("description")) {
            Source s = entries.get("description");
            s.reader().text(s.value(), "a description");
        }

        Map<Axis<?>, List<Grid.Choice>> axes = new LinkedHashMap<>();
        Position top = new Position(file, 1, 1);
        ZoneAxes zones = purpose == Purpose.ZONES ? zoneAxes(entries, top) : null;
        for (Axis<?> axis : Axis.ALL) {
            if (axis == Axis.SEED) continue;
            Source s = entries.get(axis.key());
            boolean trainingOnly = axis == Axis.LR || axis == Axis.EPOCHS;
            if (s != null) {
                axes.put(axis, readValues(axis, s.reader(), s.value()));
            } else if (axis == Axis.LR && purpose == Purpose.LR_SEARCH) {
                axes.put(axis, List.of(new Grid.Choice(Axis.Values.BEST, top)));
            } else if (zones != null && trainingOnly && !zones.fromCheckpoints()) {
                Object unused = axis == Axis.LR ? (Object) ZoneAxes.UNUSED_LR : (Object) ZoneAxes.UNUSED_EPOCHS;
                axes.put(axis, List.of(new Grid.Choice(unused, top)));
            } else if (axis.required()) {
                problems.add(top, "the grid must say '" + axis.key() + "'" + requiredHint(axis)
                        + (zones != null && trainingOnly ? ": weights from checkpoints name the sweep run that wrote"
                        + " them, so give that sweep grid's lr and epochs" : ""));
            } else {
                axes.put(axis, List.of(new Grid.Choice(axis.fallback(), top)));
            }
        }
        if (purpose == Purpose.LR_SEARCH && entries.containsKey("lr")) {
            Source s = entries.get("lr");
            boolean best = axes.get(Axis.LR).stream().allMatch(c -> c.value() instanceof Double d && Double.isNaN(d));
            if (!best) {
                problems.add(s.entry().keyAt(), "lr-search draws the learning rate itself: remove 'lr' from the grid"
                        + " (its range is lr_search.low and lr_search.high)");
            }
        }
        axes.put(Axis.SEED, seeds(entries, top, problems));

        List<Grid.Override> overrides = entries.containsKey("overrides")
                ? overrides(entries.get("overrides"), purpose) : List.of();

        int maxRuns = DEFAULT_MAX_RUNS;
        if (entries.containsKey("max_runs")) {
            Source s = entries.get("max_runs");
            Integer m = s.reader().intAtLeast(s.value(), "max_runs", 1);
            if (m != null) maxRuns = m;
        }
        Grid.Checkpoints checkpoints = Grid.Checkpoints.LAST;
        if (entries.containsKey("checkpoints")) {
            Source s = entries.get("checkpoints");
            String c = s.reader().word(s.value(), "checkpoints", List.of("last", "all"));
            if (c != null) checkpoints = Grid.Checkpoints.valueOf(c.toUpperCase(Locale.ROOT));
        }
        LrSearchSettings lrSearch = LrSearchSettings.DEFAULT;
        if (entries.containsKey("lr_search")) {
            Source s = entries.get("lr_search");
            LrSearchSettings parsed = lrSearch(s.reader(), s.value());
            if (parsed != null) lrSearch = parsed;
        }
        return new Grid(name, file, axes, overrides, maxRuns, checkpoints, lrSearch, zones);
    }

    /** The zone keys of a zones grid ({@link ZoneAxes}), with their defaults. */
    private static ZoneAxes zoneAxes(Map<String, Source> entries, Position top) {
        List<Grid.Choice> pairs = new ArrayList<>();
        Source p = entries.get("policies");
        if (p == null) {
            pairs.add(new Grid.Choice(new ZoneAxes.Pair(PoolPolicy.FIRST,
                    PoolPolicy.MIN_NORM), top));
        } else {
            YamlReader r = p.reader();
            List<Node> items = p.value() instanceof SequenceNode sq ? sq.getValue() : List.of(p.value());
            boolean listOfPairs = !items.isEmpty() && items.stream().allMatch(n -> n instanceof SequenceNode);
            for (Node pair : listOfPairs ? items : List.of(p.value())) {
                ZoneAxes.Pair v = policyPair(r, pair);
                if (v != null) pairs.add(new Grid.Choice(v, r.at(pair)));
            }
        }
        List<Grid.Choice> weights = new ArrayList<>();
        Source w = entries.get("weights");
        if (w == null) {
            weights.add(new Grid.Choice(ZoneAxes.INIT, top));
        } else {
            YamlReader r = w.reader();
            for (Node item : r.items(w.value())) {
                String t = r.text(item, "init or a checkpoint epoch");
                if (t == null) continue;
                if (t.equalsIgnoreCase(ZoneAxes.INIT)) {
                    weights.add(new Grid.Choice(ZoneAxes.INIT, r.at(item)));
                } else if (t.matches("\\d+")) {
                    Integer epoch = r.intAtLeast(item, "a checkpoint epoch", 0);
                    if (epoch != null) weights.add(new Grid.Choice(epoch, r.at(item)));
                } else {
                    r.problem(item, "weights are 'init' or the epoch of a sweep checkpoint (0 for the one written"
                            + " after the first epoch), got '" + t + "'");
                }
            }
        }
        Grid.Choice minibatches = new Grid.Choice(ZoneAxes.ALL, top);
        Source m = entries.get("minibatches");
        if (m != null) {
            YamlReader r = m.reader();
            String t = r.text(m.value(), "a number of minibatches or 'all'");
            if (t != null && t.equalsIgnoreCase("all")) {
                minibatches = new Grid.Choice(ZoneAxes.ALL, r.at(m.value()));
            } else if (t != null) {
                Integer n = r.intAtLeast(m.value(), "minibatches (or 'all')", 1);
                if (n != null) minibatches = new Grid.Choice(n, r.at(m.value()));
            }
        }
        return new ZoneAxes(pairs, weights, minibatches);
    }

    /** [A, B]: two different policies, each written as in a pool axis or as beta:B/composite. */
    private static ZoneAxes.Pair policyPair(YamlReader r, Node node) {
        if (!(node instanceof SequenceNode sq) || sq.getValue().size() != 2) {
            r.problem(node, "policies takes a pair [A, B] (e.g. [first, min-norm]) or a list of pairs, got "
                    + YamlReader.describe(node));
            return null;
        }
        PoolPolicy a = zonePolicy(r, sq.getValue().get(0));
        PoolPolicy b = zonePolicy(r, sq.getValue().get(1));
        if (a == null || b == null) return null;
        if (a.equals(b)) {
            r.problem(node, "the pair compares " + a + " with itself: name two different policies");
            return null;
        }
        return new ZoneAxes.Pair(a, b);
    }

    /** A policy as {@link PoolPolicy#parse(String)} reads it: a pool axis value, with /composite for beta:B's form. */
    private static PoolPolicy zonePolicy(YamlReader r, Node n) {
        String t = r.text(n, "a pool policy");
        if (t == null) return null;
        String name = t.indexOf('/') < 0 ? t : t.substring(0, t.indexOf('/')).trim();
        try {
            return PoolPolicy.parse(t);
        } catch (IllegalArgumentException e) {
            if (isPolicyName(name)) {
                r.problem(n, e.getMessage());
            } else {
                r.problem(n, "unknown pool policy '" + t + "'"
                        + DidYouMean.hint(name, List.of("first", "last", "min-norm", "all"))
                        + ": expected first, last, min-norm, all, beta:<B> or a number B, with /composite for the"
                        + " study's composite form of beta:B (" + e.getMessage() + ")");
            }
            return null;
        }
    }

    private static boolean isPolicyName(String name) {
        try {
            PoolPolicy.parse(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String requiredHint(Axis<?> axis) {
        if (axis == Axis.DATASET) return " (an ingested dataset, e.g. dataset: fashion-mnist)";
        if (axis == Axis.NETWORK) return " (e.g. network: lenet5)";
        if (axis == Axis.LR) return " (a number, a list, or 'best' to use lr-search's choice)";
        if (axis == Axis.EPOCHS) return " (e.g. epochs: 10)";
        return "";
    }

    private static List<Grid.Choice> readValues(Axis<?> axis, YamlReader r, Node node) {
        List<Grid.Choice> out = new ArrayList<>();
        for (Node item : r.items(node)) {
            if (item instanceof SequenceNode) {
                r.problem(item, "'" + axis.key() + "' takes a value or a list of values, not a list of lists");
                continue;
            }
            Object v = axis.read(r, item);
            if (v != null) out.add(new Grid.Choice(v, r.at(item)));
        }
        return out;
    }

    /** repeats: N gives seeds 0..N-1; seeds: [..] names them; both is an error; neither is one run, seed 0. */
    private static List<Grid.Choice> seeds(Map<String, Source> entries, Position top, Problems problems) {
        Source repeats = entries.get("repeats");
        Source seeds = entries.get(Axis.SEED.key());
        if (repeats != null && seeds != null) {
            problems.add(seeds.entry().keyAt(), "give either 'repeats' or 'seeds', not both");
            return List.of();
        }
        if (seeds != null) return readValues(Axis.SEED, seeds.reader(), seeds.value());
        if (repeats != null) {
            Integer n = repeats.reader().intAtLeast(repeats.value(), "repeats", 1);
            List<Grid.Choice> out = new ArrayList<>();
            if (n != null) {
                Position at = repeats.reader().at(repeats.value());
                for (long s = 0; s < n; s++) out.add(new Grid.Choice(s, at));
            }
            return out;
        }
        return List.of(new Grid.Choice(0L, top));
    }

    private static List<Grid.Override> overrides(Source s, Purpose purpose) {
        YamlReader r = s.reader();
        if (!(s.value() instanceof SequenceNode)) {
            r.problem(s.value(), "overrides must be a list of {when: {...}, set: {...}}");
            return List.of();
        }
        List<String> axisKeys = new ArrayList<>(Axis.keys());
        axisKeys.add("repeats");
        List<Grid.Override> out = new ArrayList<>();
        for (Node item : ((SequenceNode) s.value()).getValue()) {
            Map<String, YamlReader.Entry> m = r.mapping(item, "an override");
            if (m.isEmpty()) continue;
            if (!r.onlyKeys(m, List.of("when", "set"), "an override")) continue;
            if (!m.containsKey("when") || !m.containsKey("set")) {
                r.problem(item, "an override needs both 'when' (which runs) and 'set' (what changes)");
                continue;
            }
            Map<Axis<?>, Grid.Choice> when = new LinkedHashMap<>();
            Map<String, YamlReader.Entry> w = r.mapping(m.get("when").value(), "when");
            List<String> whenKeys = Axis.keys();
            for (YamlReader.Entry e : w.values()) {
                Axis<?> axis = Axis.BY_KEY.get(e.key());
                if (axis == null) {
                    r.problems.add(e.keyAt(), "unknown axis '" + e.key() + "' in when"
                            + DidYouMean.hint(e.key(), whenKeys));
                    continue;
                }
                if (e.value() instanceof SequenceNode) {
                    r.problem(e.value(), "'when' matches one value per axis; write one override per value");
                    continue;
                }
                Object v = axis.read(r, e.value());
                if (v != null) when.put(axis, new Grid.Choice(v, r.at(e.value())));
            }
            Map<Axis<?>, List<Grid.Choice>> set = new LinkedHashMap<>();
            Map<String, YamlReader.Entry> st = r.mapping(m.get("set").value(), "set");
            for (YamlReader.Entry e : st.values()) {
                if (e.key().equals("repeats")) {
                    Integer n = r.intAtLeast(e.value(), "repeats", 1);
                    if (n == null) continue;
                    List<Grid.Choice> seeds = new ArrayList<>();
                    for (long k = 0; k < n; k++) seeds.add(new Grid.Choice(k, r.at(e.value())));
                    set.put(Axis.SEED, seeds);
                    continue;
                }
                Axis<?> axis = Axis.BY_KEY.get(e.key());
                if (axis == null) {
                    r.problems.add(e.keyAt(), "unknown axis '" + e.key() + "' in set" + DidYouMean.hint(e.key(), axisKeys));
                    continue;
                }
                if (axis == Axis.LR && purpose == Purpose.LR_SEARCH) {
                    r.problems.add(e.keyAt(), "lr-search draws the learning rate itself: an override cannot set lr");
                    continue;
                }
                set.put(axis, readValues(axis, r, e.value()));
            }
            if (set.isEmpty() && st.isEmpty()) r.problem(m.get("set").value(), "'set' changes nothing");
            out.add(new Grid.Override(r.at(item), when, set));
        }
        return out;
    }

    private static LrSearchSettings lrSearch(YamlReader r, Node node) {
        Map<String, YamlReader.Entry> m = r.mapping(node, "lr_search");
        List<String> known = List.of("trials", "low", "high", "sampler", "startup_trials", "pruner",
                "pruner_startup_trials", "pruner_warmup_epochs", "epochs", "seed");
        if (!r.onlyKeys(m, known, "lr_search")) return null;
        LrSearchSettings d = LrSearchSettings.DEFAULT;
        Integer trials = m.containsKey("trials") ? r.intAtLeast(m.get("trials").value(), "trials", 1) : d.trials();
        Double low = m.containsKey("low") ? r.positiveNumber(m.get("low").value(), "low") : d.low();
        Double high = m.containsKey("high") ? r.positiveNumber(m.get("high").value(), "high") : d.high();
        String sampler = m.containsKey("sampler")
                ? r.word(m.get("sampler").value(), "sampler", List.of("random", "tpe")) : "random";
        Integer startup = m.containsKey("startup_trials")
                ? r.intAtLeast(m.get("startup_trials").value(), "startup_trials", 1) : d.startupTrials();
        String pruner = m.containsKey("pruner")
                ? r.word(m.get("pruner").value(), "pruner", List.of("median", "none")) : "median";
        Integer prunerStartup = m.containsKey("pruner_startup_trials")
                ? r.intAtLeast(m.get("pruner_startup_trials").value(), "pruner_startup_trials", 0)
                : d.prunerStartupTrials();
        Integer warmup = m.containsKey("pruner_warmup_epochs")
                ? r.intAtLeast(m.get("pruner_warmup_epochs").value(), "pruner_warmup_epochs", 0)
                : d.prunerWarmupEpochs();
        Integer epochs = m.containsKey("epochs") ? r.intAtLeast(m.get("epochs").value(), "epochs", 1) : d.epochs();
        Long seed = m.containsKey("seed") ? r.integer(m.get("seed").value(), "seed") : d.seed();
        if (trials == null || low == null || high == null || sampler == null || startup == null || pruner == null
                || prunerStartup == null || warmup == null || epochs == null || seed == null) {
            return null;
        }
        if (!(high > low)) {
            r.problem(m.containsKey("high") ? m.get("high").value() : node,
                    "lr_search.high (" + high + ") must be above lr_search.low (" + low + ")");
            return null;
        }
        return new LrSearchSettings(trials, low, high,
                LrSearchSettings.Sampler.valueOf(sampler.toUpperCase(Locale.ROOT)), startup,
                pruner.equals("median"), prunerStartup, warmup, epochs, seed);
    }

    private static String fileStem(String file) {
        String base = file.substring(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
        int dot = base.lastIndexOf('.');
        return dot > 0 ? base.substring(0, dot) : base;
    }
}
