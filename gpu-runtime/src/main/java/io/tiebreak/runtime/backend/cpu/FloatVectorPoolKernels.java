package io.tiebreak.runtime.backend.cpu;

import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.NE;

import io.tiebreak.runtime.jacobian.PoolPolicy;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The study's 2x2/2 max pooling, forward and backward, a vector at a time on the Vector API: the bits of
 * {@link FloatPoolKernels}'s scalar windows, whose TieRule arithmetic is written out here lane-wise for the formats
 * whose rounding leaves the arrays' values alone (binary32 in binary32 arrays, binary64 in binary64), and for binary16
 * where the policy only copies values (the forward; first, last and all backward; exact forms). Two layouts:
 * <ul>
 *   <li>row pairs ({@link #forwardRows}, {@link #backwardRows}) where planes are even and at least a vector wide:
 *       lane i holds input column t+i of a pair of input rows, with contiguous loads and stores, each lane's window
 *       partner one lane swap away. No gathers or scatters (x86 scatters with AVX-512 only, tens of cycles a vector),
 *       so AVX2 runs the backward this way too. JMH, VGG11's first pool, 2 threads: forward 2.8 against 6.6 ms
 *       gathered, backward 4.7 against 9.1 ms scattered.</li>
 *   <li>gathered windows ({@link #forward}, {@link #backward}) elsewhere: lane j is window o+j, its four inputs
 *       gathered and its four input gradients scattered through the offsets of {@link FloatPoolKernels#windows2x2}.</li>
 * </ul>
 * A vector whose windows hold a NaN maximum is left to the scalar code. Loaded only when the JVM has
 * jdk.incubator.vector ({@link VectorApi}). C2 compiles a Vector API kernel well only when it inlines every call in
 * it (otherwise each vector is boxed in a heap object), and stops inlining past a node count: so the two backwards
 * write their tie arithmetic out in their loops, rather than share helper methods.
 *
 * <p>The build generates {@code DoubleVectorPoolKernels} (fp64) from this file (gpu-runtime/pom.xml).
 */
final class FloatVectorPoolKernels {
    private FloatVectorPoolKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector: windows per gathered vector, input columns per row-pair vector. */
    static final int L = S.length();
    /**
     * Whether C2 compiles the gathered backward's scatters to instructions: x86 has them with AVX-512 only, and on
     * AVX2 the Vector API would scatter lane by lane in Java, far slower than the scalar windows.
     */
    static final boolean SCATTERS = S.vectorBitSize() >= 512;
    /** Row pairs: each lane's horizontal window partner (column 2j <-> 2j+1). */
    private static final VectorShuffle<Float> PARTNER = VectorShuffle.fromOp(S, i -> i ^ 1);
    /** Row pairs: window j's value (lane j) to its two columns (lanes 2j, 2j+1). */
    private static final VectorShuffle<Float> SPREAD = VectorShuffle.fromOp(S, i -> i / 2);
    /** Row pairs: window j's value (lane 2j) to lane j, for the L/2 windows of a vector. */
    private static final VectorShuffle<Float> COMPACT = VectorShuffle.fromOp(S, i -> 2 * i % L);
    private static final float[] LANE = new float[L], ODD = new float[L];
    static {
        for (int i = 0; i < L; i++) {
            LANE[i] = i;
            ODD[i] = i % 2;
        }
    }

    /**
     * Whether planes of h x w run as row pairs: every row and column in a window, and a vector of columns at least
     * (narrower rows leave too many lanes idle: in JMH, planes 10 wide ran faster gathered).
     */
    static boolean rowPairs(int h, int w) {
        return h % 2 == 0 && w % 2 == 0 && w >= L;
    }

    /**
     * Forward of windows [o, end) (indices over all planes, row-major, end a plane boundary) a row pair (wo windows)
     * at a time, while the pair's stores stay below end and it has no NaN maximum: y[o] = the first maximum
     * (composite: round(B*m) + round((1-B)*m)), ties[0] += windows with k >= 2. Returns the first window left to the
     * scalar code: o itself unless o starts a row pair ({@link #rowPairs} planes only).
     *
     * <p>A vector's upper L/2 lanes store the next windows' values too, which the next vector (or pair, or the
     * scalar code) overwrites: so vectors go left to right.
     */
    static int forwardRows(float[] x, int wo, int o, int end, boolean composite, float beta, float oneMinusBeta,
                           float[] y, long[] ties) {
        if (o % wo != 0) return o;
        int w = 2 * wo, lastT = (w - 1) / L * L;
        FloatVector lane = FloatVector.fromArray(S, LANE, 0);
        VectorMask<Float> odd = FloatVector.fromArray(S, ODD, 0).compare(NE, 0);
        long tied = 0;
        pairs:
        for (; o + lastT / 2 + L <= end && 2 * o * 2 + w + lastT + L <= x.length; o += wo) {
            int top = 2 * o * 2; // input offset of the pair: row 2 * (o / wo) of width w = 2 * wo
            long pairTied = 0;
            for (int t = 0; t < w; t += L) {
                FloatVector up = FloatVector.fromArray(S, x, top + t), down = FloatVector.fromArray(S, x, top + w + t);
                FloatVector upPartner = up.rearrange(PARTNER), downPartner = down.rearrange(PARTNER);
                FloatVector a = up.blend(upPartner, odd), b = upPartner.blend(up, odd);
                FloatVector c = down.blend(downPartner, odd), d = downPartner.blend(down, odd);
                FloatVector m = a.max(b).max(c.max(d));
                VectorMask<Float> valid = lane.compare(LT, w - t);
                if (m.compare(NE, m).and(valid).anyTrue()) break pairs; // NaN: the scalar code finds its tie set
                VectorMask<Float> ea = a.compare(EQ, m), eb = b.compare(EQ, m), ec = c.compare(EQ, m), ed = d.compare(EQ, m);
                pairTied += twoOrMore(ea, eb, ec, ed).and(valid).andNot(odd).trueCount();
                output(a, b, c, d, ea, eb, ec, composite, beta, oneMinusBeta).rearrange(COMPACT).intoArray(y, o + t / 2);
            }
            tied += pairTied;
        }
        ties[0] += tied;
        return o;
    }

    /**
     * Backward of windows [o, end) under policy, as {@link #forwardRows} walks them: each input's gradient from its
     * window's upstream gradient dy (the tied inputs', the target's, +0 elsewhere). Returns the first window left to
     * the scalar code.
     *
     * <p>A vector's lanes past the row store into the next row, which a later store overwrites: the bottom row's by
     * the same or an earlier column's vector of this pair, so vectors go right to left; the next pair's by that pair.
     */
    static int backwardRows(float[] x, float[] dy, int wo, int o, int end, PoolPolicy.Kind kind, boolean composite,
                            float beta, float oneMinusBeta, float[] dx) {
        if (o % wo != 0) return o;
        int w = 2 * wo, lastT = (w - 1) / L * L;
        FloatVector lane = FloatVector.fromArray(S, LANE, 0);
        VectorMask<Float> odd = FloatVector.fromArray(S, ODD, 0).compare(NE, 0);
        VectorMask<Float> last = S.maskAll(kind == PoolPolicy.Kind.LAST);
        // Each column's position in its window: a, b (0, 1) in the top row, c, d (2, 3) in the bottom one.
        FloatVector upAt = FloatVector.fromArray(S, ODD, 0), downAt = upAt.add(2);
        FloatVector zero = FloatVector.zero(S), one = FloatVector.broadcast(S, 1);
        FloatVector two = FloatVector.broadcast(S, 2), three = FloatVector.broadcast(S, 3);
        pairs:
        for (; 2 * o * 2 + w + lastT + L <= end * 4 && o + lastT / 2 + L <= dy.length; o += wo) {
            int top = 2 * o * 2;
            for (int t = lastT; t >= 0; t -= L) {
                FloatVector up = FloatVector.fromArray(S, x, top + t), down = FloatVector.fromArray(S, x, top + w + t);
                FloatVector upPartner = up.rearrange(PARTNER), downPartner = down.rearrange(PARTNER);
                FloatVector a = up.blend(upPartner, odd), b = upPartner.blend(up, odd);
                FloatVector c = down.blend(downPartner, odd), d = downPartner.blend(down, odd);
                FloatVector m = a.max(b).max(c.max(d));
                if (m.compare(NE, m).and(lane.compare(LT, w - t)).anyTrue()) break pairs;
                VectorMask<Float> ea = a.compare(EQ, m), eb = b.compare(EQ, m), ec = c.compare(EQ, m), ed = d.compare(EQ, m);
                // Helpers here would pass C2's inlining limit (node count) and box every vector. The target's
                // position (the first maximum's, or the last's for LAST) comes from blends, not mask logic: JDK
                // 17.0.15's C2 crashed compiling and/or chains of the tie masks with the loop-invariant one.
                FloatVector target = three.blend(two, ec).blend(one, eb).blend(zero, ea);
                target = target.blend(zero.blend(one, eb).blend(two, ec).blend(three, ed), last);
                FloatVector gr = FloatVector.fromArray(S, dy, o + t / 2).rearrange(SPREAD);
                FloatVector k = zero.blend(one, ea).add(zero.blend(one, eb)).add(zero.blend(one, ec)).add(zero.blend(one, ed));
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
                // A column's own value ties or not; the target is one position of its window.
                zero.blend(atTie, up.compare(EQ, m)).blend(atTarget, target.compare(EQ, upAt)).intoArray(dx, top + t);
                zero.blend(atTie, down.compare(EQ, m)).blend(atTarget, target.compare(EQ, downAt)).intoArray(dx, top + w + t);
            }
        }
        return o;
    }

    /**
     * Forward of windows [o, end) while a whole vector of them fits and has no NaN maximum, gathered (any plane), as
     * {@link #forwardRows} computes them. Returns the first window left to the scalar code.
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
            tied += twoOrMore(ea, eb, ec, ed).trueCount();
            output(a, b, c, d, ea, eb, ec, composite, beta, oneMinusBeta).intoArray(y, o);
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

    // The window arithmetic, lane-wise: each lane a window's inputs a, b (top row), c, d (bottom row), maximum m, and
    // tie masks ea..ed (input == m).

    /** The first maximum (not m: -0 and +0 tie but differ), or the composite output round(B*m) + round((1-B)*m). */
    private static FloatVector output(FloatVector a, FloatVector b, FloatVector c, FloatVector d, VectorMask<Float> ea,
                                      VectorMask<Float> eb, VectorMask<Float> ec, boolean composite, float beta,
                                      float oneMinusBeta) {
        FloatVector first = d.blend(c, ec).blend(b, eb).blend(a, ea);
        return composite ? first.mul(beta).add(first.mul(oneMinusBeta)) : first;
    }

    /** Windows whose maximum ties (k >= 2). */
    private static VectorMask<Float> twoOrMore(VectorMask<Float> ea, VectorMask<Float> eb, VectorMask<Float> ec,
                                               VectorMask<Float> ed) {
        return ea.and(eb.or(ec).or(ed)).or(eb.and(ec.or(ed))).or(ec.and(ed));
    }
}
