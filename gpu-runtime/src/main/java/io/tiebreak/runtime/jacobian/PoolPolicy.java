package io.tiebreak.runtime.jacobian;

import java.util.Locale;

/**
 * Which element of the Clarke Jacobian the MaxPool backward uses at ties (docs/design.md, "MaxPool Jacobian policies"),
 * and, for {@code beta:B}, whether it is evaluated in the fused {@code exact} form or the reference study's
 * {@code composite} form {@code B * minpool(x) + (1 - B) * maxpool(x)}.
 */
public record PoolPolicy(Kind kind, double beta, Form form) implements java.io.Serializable {

    public enum Kind { FIRST, LAST, MIN_NORM, ALL, BETA }

    public enum Form {
        EXACT, COMPOSITE;
        public String id() { return name().toLowerCase(Locale.ROOT); }
        public static Form parse(String s) {
            for (Form f : values()) if (f.id().equals(s.trim().toLowerCase(Locale.ROOT))) return f;
            throw new IllegalArgumentException("unknown pool form '" + s + "': expected exact or composite");
        }
    }

    public static final PoolPolicy FIRST = new PoolPolicy(Kind.FIRST, 0, Form.EXACT);
    public static final PoolPolicy LAST = new PoolPolicy(Kind.LAST, 0, Form.EXACT);
    public static final PoolPolicy MIN_NORM = new PoolPolicy(Kind.MIN_NORM, 0, Form.EXACT);
    public static final PoolPolicy ALL = new PoolPolicy(Kind.ALL, 0, Form.EXACT);

    public PoolPolicy {
        if (kind != Kind.BETA && beta != 0) throw new IllegalArgumentException("only beta:B takes a coefficient");
        if (kind != Kind.BETA && form != Form.EXACT) {
            throw new IllegalArgumentException("the composite form exists only for beta:B, not for " + kind);
        }
        if (!Double.isFinite(beta)) throw new IllegalArgumentException("beta must be finite, got " + beta);
    }

    public static PoolPolicy beta(double b, Form form) { return new PoolPolicy(Kind.BETA, b, form); }

    /**
     * Parses every spelling that grids, flags and result rows use: first, last, min-norm, all, beta:B, or a bare
     * number B (the study's B axis, meaning beta:B); a beta policy may end in /exact or /composite (exact when it does
     * not). The inverse of {@link #id()}: {@code parse(p.id()).equals(p)}.
     *
     * @throws IllegalArgumentException naming the text and what was expected
     */
    public static PoolPolicy parse(String text) {
        int slash = text.indexOf('/');
        String name = (slash < 0 ? text : text.substring(0, slash)).trim().toLowerCase(Locale.ROOT);
        PoolPolicy p = named(text, name);
        if (slash < 0) return p;
        if (p.kind != Kind.BETA) {
            throw new IllegalArgumentException("'" + text.trim() + "': the composite form exists only for beta:B (the"
                    + " composite form of first is beta:0/composite, of min-norm beta:1/composite)");
        }
        return p.withForm(Form.parse(text.substring(slash + 1)));
    }

    /** A policy named as in {@link #parse(String)} (without a form), evaluated in the given form. */
    public static PoolPolicy parse(String policy, Form form) {
        if (policy.indexOf('/') >= 0) {
            throw new IllegalArgumentException("bad pool policy '" + policy + "': give the form separately");
        }
        return parse(policy).withForm(form);
    }

    /** This policy in another form; only beta:B has a composite form. */
    public PoolPolicy withForm(Form f) {
        if (f == form) return this;
        if (kind != Kind.BETA) {
            throw new IllegalArgumentException("the composite form exists only for beta:B, not for " + name());
        }
        return beta(beta, f);
    }

    private static PoolPolicy named(String text, String name) {
        switch (name) {
            case "first": return FIRST;
            case "last": return LAST;
            case "min-norm": return MIN_NORM;
            case "all": return ALL;
            default:
        }
        String b = name.startsWith("beta:") ? name.substring(5) : name;
        if (b.matches("[-+]?[0-9.][0-9.eE+-]*")) {
            try {
                return beta(Double.parseDouble(b), Form.EXACT);
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        if (name.startsWith("beta:")) {
            throw new IllegalArgumentException("bad beta in pool policy '" + text.trim() + "': expected beta:<number>");
        }
        throw new IllegalArgumentException("unknown pool policy '" + text.trim()
                + "': expected first, last, min-norm, all, beta:<B> or a number B");
    }

    /** The policy without its form, as the runs table's pool column has it: first, last, min-norm, all, beta:1000. */
    public String name() {
        switch (kind) {
            case FIRST: return "first";
            case LAST: return "last";
            case MIN_NORM: return "min-norm";
            case ALL: return "all";
            default:
                return "beta:" + (beta == Math.rint(beta) && Math.abs(beta) < 1e15
                        ? Long.toString((long) beta) : Double.toString(beta));
        }
    }

    /**
     * The canonical text, {@link #parse(String)}'s inverse: the name, with its form for beta:B (first, min-norm,
     * beta:1000/exact, beta:1000/composite), as zones rows and logs write a policy.
     */
    public String id() { return kind == Kind.BETA ? name() + "/" + form.id() : name(); }

    @Override
    public String toString() { return id(); }
}
