package io.tiebreak.jobs.grid;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads YAML as a tree of positioned nodes and turns scalars into typed values, recording a problem (file, line,
 * column, what was expected) instead of throwing, so one pass reports everything wrong with a grid. Numbers are read
 * from the scalar's text, so {@code 5e-4} is a number although YAML 1.1 would call it a string.
 */
final class YamlReader {
    final String file;
    final Problems problems;

    YamlReader(String file, Problems problems) {
        this.file = file;
        this.problems = problems;
    }

    /** The document's root node, or null (with a problem) when the text is not YAML or is empty. */
    Node parse(String text) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(50);
        try {
            Node root = new Yaml(options).compose(new java.io.StringReader(text));
            if (root == null) problems.add(new Position(file, 1, 1), "the grid is empty");
            return root;
        } catch (MarkedYAMLException e) {
            problems.add(Position.of(file, e.getProblemMark()), "not valid YAML: " + e.getProblem());
        } catch (YAMLException e) {
            problems.add(new Position(file, 1, 1), "not valid YAML: " + e.getMessage());
        }
        return null;
    }

    Position at(Node node) { return Position.of(file, node); }

    void problem(Node node, String message) { problems.add(at(node), message); }

    /** A mapping's entries by key, in file order; problems for non-string and repeated keys. */
    Map<String, Entry> mapping(Node node, String what) {
        if (!(node instanceof MappingNode)) {
            problem(node, what + " must be a mapping of keys to values, got " + describe(node));
            return Map.of();
        }
        Map<String, Entry> out = new LinkedHashMap<>();
        for (NodeTuple t : ((MappingNode) node).getValue()) {
            Node k = t.getKeyNode();
            if (!(k instanceof ScalarNode)) {
                problem(k, "keys must be plain names, got " + describe(k));
                continue;
            }
            String key = ((ScalarNode) k).getValue();
            if (out.containsKey(key)) {
                problem(k, "'" + key + "' is given twice (first at line " + out.get(key).keyAt().line() + ")");
                continue;
            }
            out.put(key, new Entry(key, at(k), t.getValueNode()));
        }
        return out;
    }

    /** Reports keys not in known (with a did-you-mean); returns whether all were known. */
    boolean onlyKeys(Map<String, Entry> entries, Collection<String> known, String where) {
        boolean ok = true;
        for (Entry e : entries.values()) {
            if (!known.contains(e.key())) {
                problems.add(e.keyAt(), "unknown key '" + e.key() + "' in " + where + DidYouMean.hint(e.key(), known)
                        + "; known keys: " + String.join(", ", known));
                ok = false;
            }
        }
        return ok;
    }

    /** A sequence's items, or the node itself as a one-element list (an axis with one value). */
    List<Node> items(Node node) {
        if (node instanceof SequenceNode) {
            List<Node> items = ((SequenceNode) node).getValue();
            if (items.isEmpty()) problem(node, "an empty list gives no runs: give at least one value");
            return items;
        }
        return List.of(node);
    }

    /** A scalar's text, or null (with a problem) for lists, mappings and null. */
    String text(Node node, String what) {
        if (node instanceof ScalarNode) {
            ScalarNode s = (ScalarNode) node;
            if (s.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN
                    && (s.getValue().isEmpty() || s.getValue().equals("~") || s.getValue().equals("null"))) {
                problem(node, what + " is empty: expected " + what);
                return null;
            }
            return s.getValue().trim();
        }
        problem(node, "expected " + what + ", got " + describe(node));
        return null;
    }

    Double number(Node node, String what) {
        String t = text(node, what);
        if (t == null) return null;
        try {
            double v = Double.parseDouble(t.replace("_", ""));
            if (!Double.isFinite(v)) {
                problem(node, what + " must be finite, got " + t);
                return null;
            }
            return v;
        } catch (NumberFormatException e) {
            problem(node, "expected " + what + " (a number), got '" + t + "'");
            return null;
        }
    }

    Double positiveNumber(Node node, String what) {
        Double v = number(node, what);
        if (v != null && !(v > 0)) {
            problem(node, what + " must be positive, got " + text(node, what));
            return null;
        }
        return v;
    }

    Long integer(Node node, String what) {
        String t = text(node, what);
        if (t == null) return null;
        try {
            return Long.parseLong(t.replace("_", ""));
        } catch (NumberFormatException e) {
            problem(node, "expected " + what + " (a whole number), got '" + t + "'");
            return null;
        }
    }

    Integer intAtLeast(Node node, String what, int min) {
        Long v = integer(node, what);
        if (v == null) return null;
        if (v < min || v > Integer.MAX_VALUE) {
            problem(node, what + " must be at least " + min + (v > Integer.MAX_VALUE ? " and fit in 32 bits" : "")
                    + ", got " + v);
            return null;
        }
        return v.intValue();
    }

    Boolean bool(Node node, String what) {
        String t = text(node, what);
        if (t == null) return null;
        switch (t.toLowerCase(Locale.ROOT)) {
            case "true": case "yes": case "on": return true;
            case "false": case "no": case "off": return false;
            default:
                problem(node, "expected " + what + " (true or false), got '" + t + "'");
                return null;
        }
    }

    /** One of the given words (case-insensitive), with a did-you-mean. */
    String word(Node node, String what, Collection<String> allowed) {
        String t = text(node, what);
        if (t == null) return null;
        String lower = t.toLowerCase(Locale.ROOT);
        if (allowed.contains(lower)) return lower;
        problem(node, "unknown " + what + " '" + t + "'" + DidYouMean.hint(t, allowed)
                + ": expected one of " + String.join(", ", allowed));
        return null;
    }

    static String describe(Node node) {
        if (node instanceof MappingNode) return "a mapping";
        if (node instanceof SequenceNode) return "a list";
        if (node instanceof ScalarNode) {
            String v = ((ScalarNode) node).getValue();
            return v.isEmpty() ? "nothing" : "'" + v + "'";
        }
        return "nothing";
    }

    /** A key, where it was written, and its value node. */
    record Entry(String key, Position keyAt, Node value) {}

    /** Names of entries missing from a mapping that must have them. */
    static List<String> missing(Map<String, Entry> entries, Collection<String> required) {
        Set<String> have = new HashSet<>(entries.keySet());
        List<String> out = new ArrayList<>();
        for (String r : required) if (!have.contains(r)) out.add(r);
        return out;
    }
}
