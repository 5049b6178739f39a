package io.tiebreak.runtime.jacobian;

import java.util.Locale;

/**
 * Which element of the Clarke Jacobian the MaxPool backward uses at ties (DESIGN.md, "MaxPool Jacobian policies"),
 * and, for {@code beta:B}, whether it is evaluated in the fused {@code exact} form or the reference study's
 * {@code composite} form {@code B * minpool(x) + (1 - B) * maxpool(x)}.
 */
public record PoolPolicy(Kind kind, double beta, Form form) {

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

    /** Parses first, last, min-norm, all, beta:B; the form applies to beta:B only. */
    public static PoolPolicy parse(String policy, Form form) {
        String s = policy.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "first": return FIRST;
            case "last": return LAST;
            case "min-norm": return MIN_NORM;
            case "all": return ALL;
            default:
        }
        if (s.startsWith("beta:")) {
            try {
                return beta(Double.parseDouble(s.substring(5)), form);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad beta in pool policy '" + policy + "': expected beta:<number>");
            }
        }
        throw new IllegalArgumentException("unknown pool policy '" + policy
                + "': expected first, last, min-norm, all or beta:<B>");
    }

    public static PoolPolicy parse(String policy) { return parse(policy, Form.EXACT); }

    /** Canonical name: first, last, min-norm, all, beta:1000 (integral B without a decimal point). */
    public String id() {
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

    @Override
    public String toString() { return kind == Kind.BETA ? id() + "/" + form.id() : id(); }
}
