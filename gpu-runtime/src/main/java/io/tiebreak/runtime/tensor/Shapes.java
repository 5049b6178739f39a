package io.tiebreak.runtime.tensor;

import java.util.Arrays;

/** Shape arithmetic and the one place shape mismatches are reported. */
public final class Shapes {
    private Shapes() {}

    /** Element count; rejects negative dimensions and counts past int range. */
    public static int size(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + str(shape));
            n *= d;
            if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor too large: " + str(shape));
        }
        return (int) n;
    }

    public static String str(int... shape) {
        return Arrays.toString(shape).replace(" ", "");
    }

    /** Fails with "what: expected [..], got [..]" unless t has exactly these dimensions (-1 matches any). */
    public static void require(Tensor t, String what, int... dims) {
        int[] s = t.shape();
        boolean ok = s.length == dims.length;
        for (int i = 0; ok && i < dims.length; i++) ok = dims[i] < 0 || dims[i] == s[i];
        if (!ok) {
            StringBuilder want = new StringBuilder("[");
            for (int i = 0; i < dims.length; i++) want.append(i > 0 ? "," : "").append(dims[i] < 0 ? "*" : dims[i]);
            throw new IllegalArgumentException(what + ": expected shape " + want + "], got " + str(s));
        }
    }

    /** Fails unless a and b have the same shape and precision. */
    public static void requireSame(Tensor a, Tensor b, String what) {
        if (!Arrays.equals(a.shape(), b.shape()) || a.precision() != b.precision()) {
            throw new IllegalArgumentException(what + ": " + a + " and " + b + " differ in shape or precision");
        }
    }

    /**
     * Checks a channel concatenation y = [a, b] along dim 1: a [N,Ca,...], b [N,Cb,...], y [N,Ca+Cb,...], equal
     * trailing dims and one precision.
     */
    public static void requireConcat(Tensor a, Tensor b, Tensor y) {
        int[] sa = a.shape(), sb = b.shape(), sy = y.shape();
        boolean ok = sa.length >= 2 && sa.length == sb.length && sa.length == sy.length && sa[0] == sb[0]
                && sa[0] == sy[0] && sa[1] + sb[1] == sy[1] && a.precision() == b.precision()
                && a.precision() == y.precision();
        for (int i = 2; ok && i < sa.length; i++) ok = sa[i] == sb[i] && sa[i] == sy[i];
        if (!ok) throw new IllegalArgumentException("concat: " + a + " and " + b + " do not concatenate to " + y);
    }

    /** Checks a classification batch: logits [N,K], one label in [0, K) per row, dlogits (may be null) like logits. */
    public static void requireLabels(Tensor logits, int[] labels, Tensor dlogits) {
        int n = logits.dim(0), k = logits.dim(1);
        require(logits, "logits", n, k);
        if (labels.length != n) throw new IllegalArgumentException("expected " + n + " labels, got " + labels.length);
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= k) {
                throw new IllegalArgumentException("label " + labels[i] + " at batch index " + i + " is outside [0, " + k + ")");
            }
        }
        if (dlogits != null) requireSame(logits, dlogits, "logits gradient");
    }
}
