package io.tiebreak.runtime.backend.cpu;

import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.NE;

import io.tiebreak.runtime.jacobian.PoolPolicy;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The study's 2x2/2 max pooling, forward and backward, a vector of windows at a time on the Vector API: the bits of
 * {@link FloatPoolKernels}'s scalar windows, whose TieRule arithmetic is written out here lane-wise for the formats
 * whose rounding leaves the arrays' values alone (binary32 in binary32 arrays, binary64 in binary64; binary16 stays
 * scalar). The four inputs of each window are gathered, and its four input gradients scattered, through the window
 * offsets of {@link FloatPoolKernels#windows2x2}. A vector whose windows hold a NaN maximum is left to the scalar code.
 * Loaded only when the JVM has jdk.incubator.vector ({@link VectorApi}).
 *
 * <p>The build generates {@code DoubleVectorPoolKernels} (fp64) from this file (gpu-runtime/pom.xml).
 */
final class FloatVectorPoolKernels {
    private FloatVectorPoolKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Windows per vector. */
    static final int L = S.length();
    /**
     * Whether C2 compiles the backward's scatters to instructions: x86 has them with AVX-512 only, and on AVX2 the
     * Vector API would scatter lane by lane in Java, far slower than the scalar windows (the forward only gathers).
     */
    static final boolean SCATTERS = S.vectorBitSize() >= 512;

    /**
     * Forward of windows [o, end) (indices over all planes, row-major) while a whole vector of them fits and has no
     * NaN maximum: y[o] = the first maximum (composite: round(B*m) + round((1-B)*m)), ties[0] += windows with k >= 2.
     * Returns the first window left to the scalar code.
     *
     * @param at      window offsets of one plane and the first L of the next ({@link FloatPoolKernels#windows2x2})
     * @param windows windows per plane; plane: inputs per plane; w: the input width
     */
    static int forward(float[] x, int[] at, int windows, int plane, int w, int o, int end, boolean composite,
                       float beta, float oneMinusBeta, float[] y, long[] ties) {
        long tied = 0;
        for (; o + L <= end; o += L) {
            int base = o / windows * plane, m0 = o % windows;
            FloatVector a = FloatVector.fromArray(S, x, base, at, m0), b = FloatVector.fromArray(S, x, base + 1, at, m0);
            FloatVector c = FloatVector.fromArray(S, x, base + w, at, m0), d = FloatVector.fromArray(S, x, base + w + 1, at, m0);
            FloatVector m = a.max(b).max(c.max(d));
            if (m.compare(NE, m).anyTrue()) break; // NaN is the maximum: the scalar code finds its tie set
            VectorMask<Float> ea = a.compare(EQ, m), eb = b.compare(EQ, m), ec = c.compare(EQ, m), ed = d.compare(EQ, m);
            // The first maximum, not m: -0 and +0 tie but differ.
            FloatVector first = d.blend(c, ec).blend(b, eb).blend(a, ea);
            VectorMask<Float> two = ea.and(eb.or(ec).or(ed)).or(eb.and(ec.or(ed))).or(ec.and(ed));
            tied += two.trueCount();
            (composite ? first.mul(beta).add(first.mul(oneMinusBeta)) : first).intoArray(y, o);
        }
        ties[0] += tied;
        return o;
    }

    /**
     * Backward of windows [o, end) under policy, as {@link #forward} walks them: each window's four input gradients
     * from its upstream gradient dy[o] (the tied inputs', the target's, +0 elsewhere). Returns the first window left to
     * the scalar code.
     */
    static int backward(float[] x, float[] dy, int[] at, int windows, int plane, int w, int o, int end,
                        PoolPolicy.Kind kind, boolean composite, float beta, float oneMinusBeta, float[] dx) {
        FloatVector zero = FloatVector.zero(S), one = FloatVector.broadcast(S, 1);
        boolean last = kind == PoolPolicy.Kind.LAST;
        for (; o + L <= end; o += L) {
            int base = o / windows * plane, m0 = o % windows;
            FloatVector a = FloatVector.fromArray(S, x, base, at, m0), b = FloatVector.fromArray(S, x, base + 1, at, m0);
            FloatVector c = FloatVector.fromArray(S, x, base + w, at, m0), d = FloatVector.fromArray(S, x, base + w + 1, at, m0);
            FloatVector m = a.max(b).max(c.max(d));
            if (m.compare(NE, m).anyTrue()) break;
            VectorMask<Float> ea = a.compare(EQ, m), eb = b.compare(EQ, m), ec = c.compare(EQ, m), ed = d.compare(EQ, m);
            VectorMask<Float> ta, tb, tc, td; // the target: the first maximum, or the last for LAST
            if (last) {
                td = ed;
                tc = ec.andNot(ed);
                tb = eb.andNot(ec.or(ed));
                ta = ea.andNot(eb.or(ec).or(ed));
            } else {
                ta = ea;
                tb = eb.andNot(ea);
                tc = ec.andNot(ea.or(eb));
                td = ed.andNot(ea.or(eb).or(ec));
            }
            FloatVector gr = FloatVector.fromArray(S, dy, o);
            FloatVector k = zero.blend(one, ea).add(zero.blend(one, eb)).add(zero.blend(one, ec)).add(zero.blend(one, ed));
            // TieRule's toTied, toTarget and finish, each rounding the identity here.
            FloatVector toTied, toTarget, atTarget, atTie;
            switch (kind) {
                case FIRST: case LAST: toTied = zero; toTarget = gr; break;
                case ALL: toTied = gr; toTarget = gr; break;
                case MIN_NORM: toTied = gr.div(k); toTarget = toTied; break;
                default:
                    toTied = gr.mul(beta).div(k);
                    toTarget = composite ? toTied : toTied.add(gr.mul(oneMinusBeta));
            }
            if (composite) {
                atTarget = zero.add(toTarget).add(zero.add(gr.mul(oneMinusBeta)));
                atTie = zero.add(toTied).add(zero);
            } else {
                atTarget = zero.add(toTarget);
                atTie = zero.add(toTied);
            }
            zero.blend(atTie, ea).blend(atTarget, ta).intoArray(dx, base, at, m0);
            zero.blend(atTie, eb).blend(atTarget, tb).intoArray(dx, base + 1, at, m0);
            zero.blend(atTie, ec).blend(atTarget, tc).intoArray(dx, base + w, at, m0);
            zero.blend(atTie, ed).blend(atTarget, td).intoArray(dx, base + w + 1, at, m0);
        }
        return o;
    }
}
