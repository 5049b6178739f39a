package io.tiebreak.runtime.backend.cpu;

import static io.tiebreak.runtime.backend.cpu.WorkerPool.ELEMENTWISE_GRAIN;
import static io.tiebreak.runtime.backend.cpu.WorkerPool.MAX_TASKS;

import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.precision.Precision.Format;

/**
 * Max pooling under a Jacobian policy, and average pooling (fixed and adaptive windows).
 *
 * <p>Written on binary32 arrays; the build generates the fp64 twin DoublePoolKernels from this file (see
 * package-info).
 */
final class FloatPoolKernels {
    private FloatPoolKernels() {}

    /**
     * A tie policy's arithmetic for one window, written once for the forward and both backward paths
     * (docs/design.md, "MaxPool Jacobian policies"). In backward, a window with upstream gradient gr and k tied
     * maxima sends {@link #toTied} to each tied input other than its target (nothing at all for first and last:
     * {@link #spreads}), {@link #toTarget} to its target (the first maximum, or the last for {@code last}) and, in the
     * composite form, {@link #toFirstBranch} to the first maximum's slot of the first-index branch. Each input's
     * contributions are summed in binary32 over the windows that cover it and {@link #finish}ed once.
     */
    private static final class TieRule {
        private final PoolPolicy.Kind kind;
        private final boolean composite;
        private final float beta, oneMinusBeta;
        private final Format f;

        TieRule(PoolPolicy policy, float beta, float oneMinusBeta, Format f) {
            this.kind = policy.kind();
            this.composite = policy.form() == PoolPolicy.Form.COMPOSITE;
            this.beta = beta;
            this.oneMinusBeta = oneMinusBeta;
            this.f = f;
        }

        /** The forward output of a window with maximum m: m, or round(round(B*m) + round((1-B)*m)) if composite. */
        float forward(float m) {
            return composite ? f.round(f.round(beta * m) + f.round(oneMinusBeta * m)) : m;
        }

        boolean last() { return kind == PoolPolicy.Kind.LAST; }

        /**
         * Whether the forward (backward) only copies values: the first maximum, the upstream gradient (first, last,
         * all), +0. Then no format rounds anything, and the vector kernels serve binary16 too.
         */
        boolean copiesOnly(boolean backward) {
            return !composite && (!backward || kind == PoolPolicy.Kind.FIRST || kind == PoolPolicy.Kind.LAST
                    || kind == PoolPolicy.Kind.ALL);
        }

        /** Whether tied inputs other than the target receive anything. */
        boolean spreads() { return kind != PoolPolicy.Kind.FIRST && kind != PoolPolicy.Kind.LAST; }

        float toTied(float gr, int k) {
            switch (kind) {
                case FIRST: case LAST: return 0;
                case ALL: return gr;
                case MIN_NORM: return gr / k;
                default: return composite ? f.round(f.round(beta * gr) / k) : beta * gr / k;
            }
        }

        /** What the target receives, given the window's {@link #toTied} (computed once per window). */
        float toTarget(float gr, float toTied) {
            switch (kind) {
                case FIRST: case LAST: case ALL: return gr;
                case MIN_NORM: return toTied;
                default: return composite ? toTied : toTied + oneMinusBeta * gr;
            }
        }

        /** Composite form only: g_first = round((1-B) * gr), for the first maximum. */
        float toFirstBranch(float gr) { return f.round(oneMinusBeta * gr); }

        /** An input's value from its summed contributions: rounded once, or (composite) each branch, then the sum. */
        float finish(float sum, float firstBranch) {
            return composite ? f.round(f.round(sum) + f.round(firstBranch)) : f.round(sum);
        }
    }

    /**
     * Max pooling over planes = N*C images of h x w. Composite beta:B gives round(round(B*m) + round((1-B)*m)).
     * A NaN in a window is its maximum (PyTorch) and the NaN positions are its tie set. Returns windows with k >= 2.
     */
    static long maxPoolForward(WorkerPool pool, float[] x, int planes, int h, int w, PoolGeometry g,
                               PoolPolicy policy, float beta, float oneMinusBeta, float[] y, Format f) {
        int ho = g.out(h), wo = g.out(w);
        TieRule rule = new TieRule(policy, beta, oneMinusBeta, f);
        int tasks = WorkerPool.tasks((long) planes * ho * wo * g.kernel() * g.kernel(), ELEMENTWISE_GRAIN,
                Math.min(MAX_TASKS, planes));
        long[] ties = new long[tasks];
        if (is2x2(g)) {
            int windows = ho * wo, plane = h * w, lanes = vectorLanes(f, x, rule.copiesOnly(false));
            boolean rows = lanes > 0 && FloatVectorPoolKernels.rowPairs(h, w);
            int[] at = windows2x2(h, w, lanes);
            pool.run(tasks, t -> {
                long[] tied = new long[1];
                int[] tie = new int[4];
                for (int o = WorkerPool.start(planes, tasks, t) * windows, end = WorkerPool.start(planes, tasks, t + 1) * windows; o < end; o++) {
                    if (lanes > 0 && (o = rows
                            ? FloatVectorPoolKernels.forwardRows(x, wo, o, end, rule.composite, beta, oneMinusBeta, y, tied)
                            : FloatVectorPoolKernels.forward(x, at, windows, plane, w, o, end, rule.composite, beta,
                                    oneMinusBeta, y, tied)) == end) break;
                    int i0 = o / windows * plane + at[o % windows];
                    float a = x[i0], b = x[i0 + 1], c = x[i0 + w], d = x[i0 + w + 1];
                    float m = Math.max(Math.max(a, b), Math.max(c, d));
                    int k;
                    if (m == m) {
                        int ea = a == m ? 1 : 0, eb = b == m ? 1 : 0, ec = c == m ? 1 : 0;
                        k = ea + eb + ec + (d == m ? 1 : 0);
                        int first = (1 - ea) * (1 + (1 - eb) * (1 + (1 - ec)));
                        m = x[i0 + (first & 1) + (first >> 1) * w]; // the first maximum: -0 and +0 differ
                    } else { // NaN is the maximum: the general path finds the first one
                        k = tieSet(x, i0, w, 0, 2, 0, 2, tie);
                        m = x[tie[0]];
                    }
                    tied[0] += k >= 2 ? 1 : 0;
                    y[o] = rule.forward(m);
                }
                ties[t] = tied[0];
            });
        } else {
            pool.run(tasks, t -> {
                int[] tie = new int[g.kernel() * g.kernel()];
                long tied = 0;
                for (int pl = WorkerPool.start(planes, tasks, t), end = WorkerPool.start(planes, tasks, t + 1); pl < end; pl++) {
                    int in = pl * h * w, out = pl * ho * wo;
                    for (int oy = 0; oy < ho; oy++) {
                        int y0 = g.windowStart(oy), y1 = g.windowEnd(oy, h);
                        for (int ox = 0; ox < wo; ox++) {
                            int x0 = g.windowStart(ox), x1 = g.windowEnd(ox, w);
                            int k = tieSet(x, in, w, y0, y1, x0, x1, tie);
                            tied += k >= 2 ? 1 : 0;
                            y[out + oy * wo + ox] = rule.forward(x[tie[0]]);
                        }
                    }
                }
                ties[t] = tied;
            });
        }
        long total = 0;
        for (long c : ties) total += c;
        return total;
    }

    /** The study's pools: 2x2 windows, stride 2, no padding (non-overlapping; a last odd row or column is dropped). */
    private static boolean is2x2(PoolGeometry g) {
        return g.kernel() == 2 && g.stride() == 2 && g.padding() == 0;
    }

    /**
     * Lanes per vector of {@link FloatVectorPoolKernels}, or 0 where the scalar code runs all windows: the Vector API
     * absent, or binary16 rounding that the policy's arithmetic needs (the kernels round nothing).
     */
    private static int vectorLanes(Format f, float[] storage, boolean copiesOnly) {
        return VectorApi.ENABLED && (copiesOnly || f.roundsNothingIn(storage)) ? FloatVectorPoolKernels.L : 0;
    }

    /**
     * The input offsets of the 2x2/2 windows of a plane of h x w, row-major, then of the first {@code extra} windows
     * of the next plane: window o of a stack of planes starts at (o / windows) * h * w + at[o % windows], and the
     * vector kernels gather a vector of windows from one base.
     */
    static int[] windows2x2(int h, int w, int extra) {
        int ho = h / 2, wo = w / 2, windows = ho * wo;
        int[] at = new int[windows == 0 ? 0 : windows + extra]; // planes smaller than a window have none
        for (int j = 0; j < at.length; j++) {
            int r = j % windows;
            at[j] = j / windows * h * w + 2 * (r / wo) * w + 2 * (r % wo);
        }
        return at;
    }

    /**
     * Max pooling backward under a Jacobian policy ({@link TieRule}). The tie set of each window is recomputed from
     * x. Exact forms accumulate each window's contributions into dx in binary32 and round once; the composite form
     * rounds g_min = B*g, g_first = (1-B)*g, each share g_min/k, each branch's sum, and their sum, step by step.
     */
    static void maxPoolBackward(WorkerPool pool, Scratch s, float[] x, float[] dy, int planes, int h, int w,
                                PoolGeometry g, PoolPolicy policy, float beta, float oneMinusBeta, float[] dx,
                                Format f) {
        int ho = g.out(h), wo = g.out(w), plane = h * w;
        boolean composite = policy.form() == PoolPolicy.Form.COMPOSITE;
        float[] firstBranch = composite ? s.floats(4, planes * plane) : null;
        TieRule rule = new TieRule(policy, beta, oneMinusBeta, f);
        if (is2x2(g)) {
            maxPoolBackward2x2(pool, x, dy, planes, h, w, rule, dx, f);
            return;
        }
        int tasks = WorkerPool.tasks((long) planes * ho * wo * g.kernel() * g.kernel(), ELEMENTWISE_GRAIN,
                Math.min(MAX_TASKS, planes));
        pool.run(tasks, t -> {
            int[] tie = new int[g.kernel() * g.kernel()];
            for (int pl = WorkerPool.start(planes, tasks, t), end = WorkerPool.start(planes, tasks, t + 1); pl < end; pl++) {
                int in = pl * plane, out = pl * ho * wo;
                java.util.Arrays.fill(dx, in, in + plane, 0);
                if (composite) java.util.Arrays.fill(firstBranch, in, in + plane, 0);
                for (int oy = 0; oy < ho; oy++) {
                    int y0 = g.windowStart(oy), y1 = g.windowEnd(oy, h);
                    for (int ox = 0; ox < wo; ox++) {
                        int x0 = g.windowStart(ox), x1 = g.windowEnd(ox, w);
                        int k = tieSet(x, in, w, y0, y1, x0, x1, tie);
                        float gr = dy[out + oy * wo + ox];
                        int target = rule.last() ? k - 1 : 0;
                        float toTied = rule.toTied(gr, k);
                        dx[tie[target]] += rule.toTarget(gr, toTied);
                        if (rule.spreads()) for (int i = 0; i < k; i++) if (i != target) dx[tie[i]] += toTied;
                        if (composite) firstBranch[tie[0]] += rule.toFirstBranch(gr);
                    }
                }
                if (composite) {
                    for (int i = in; i < in + plane; i++) dx[i] = rule.finish(dx[i], firstBranch[i]);
                } else {
                    f.roundInPlace(dx, in, plane);
                }
            }
        });
    }

    /**
     * The general backward specialised to the study's 2x2/2 pools, with the same {@link TieRule}: windows do not
     * overlap, so each input gets one value: the target's or a tied input's, each finished once per window from its
     * one contribution (added to zero, as the general path adds it), and picked per input with bit masks, because
     * which inputs tie is data and branches on it mispredict. Where the Vector API runs, a vector at a time
     * ({@link FloatVectorPoolKernels}).
     */
    private static void maxPoolBackward2x2(WorkerPool pool, float[] x, float[] dy, int planes, int h, int w,
                                           TieRule rule, float[] dx, Format f) {
        int wo = w / 2, windows = (h / 2) * wo, plane = h * w, vector = vectorLanes(f, x, rule.copiesOnly(true));
        boolean rows = vector > 0 && FloatVectorPoolKernels.rowPairs(h, w);
        // Gathered windows scatter their gradients: only where the machine has scatter instructions.
        int lanes = vector > 0 && (rows || FloatVectorPoolKernels.SCATTERS) ? vector : 0;
        int[] at = windows2x2(h, w, lanes);
        int tasks = WorkerPool.tasks((long) planes * plane, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, planes));
        pool.run(tasks, t -> {
            int[] tie = new int[4];
            int p0 = WorkerPool.start(planes, tasks, t), p1 = WorkerPool.start(planes, tasks, t + 1);
            for (int pl = p0; pl < p1; pl++) { // rows and columns no window covers
                int in = pl * plane;
                if (h % 2 == 1) java.util.Arrays.fill(dx, in + (h - 1) * w, in + plane, 0);
                if (w % 2 == 1) for (int y = 0; y < h; y++) dx[in + y * w + w - 1] = 0;
            }
            for (int o = p0 * windows, end = p1 * windows; o < end; o++) {
                if (lanes > 0 && (o = rows
                        ? FloatVectorPoolKernels.backwardRows(x, dy, wo, o, end, rule.kind, rule.composite, rule.beta,
                                rule.oneMinusBeta, dx)
                        : FloatVectorPoolKernels.backward(x, dy, at, windows, plane, w, o, end, rule.kind,
                                rule.composite, rule.beta, rule.oneMinusBeta, dx)) == end) break;
                int i0 = o / windows * plane + at[o % windows];
                float a = x[i0], b = x[i0 + 1], c = x[i0 + w], d = x[i0 + w + 1];
                float m = Math.max(Math.max(a, b), Math.max(c, d));
                int ea, eb, ec, ed;
                if (m == m) {
                    ea = a == m ? 1 : 0;
                    eb = b == m ? 1 : 0;
                    ec = c == m ? 1 : 0;
                    ed = d == m ? 1 : 0;
                } else { // NaN is the maximum and the NaN positions are the tie set
                    int k = tieSet(x, i0, w, 0, 2, 0, 2, tie);
                    ea = eb = ec = ed = 0;
                    for (int i = 0; i < k; i++) {
                        int r = tie[i] - i0;
                        if (r == 0) ea = 1; else if (r == 1) eb = 1; else if (r == w) ec = 1; else ed = 1;
                    }
                }
                int k = ea + eb + ec + ed;
                int first = (1 - ea) * (1 + (1 - eb) * (1 + (1 - ec)));
                int target = rule.last() ? 3 - (1 - ed) * (1 + (1 - ec) * (1 + (1 - eb))) : first;
                float gr = dy[o];
                float toTied = rule.toTied(gr, k);
                float atTarget = rule.finish(0 + rule.toTarget(gr, toTied),
                        0 + (rule.composite ? rule.toFirstBranch(gr) : 0));
                float atTie = rule.finish(0 + toTied, 0);
                /*bits*/int bt = Float.floatToRawIntBits(atTarget), bs = Float.floatToRawIntBits(atTie);
                dx[i0] = pick(bt, bs, target == 0 ? 1 : 0, ea);
                dx[i0 + 1] = pick(bt, bs, target == 1 ? 1 : 0, eb);
                dx[i0 + w] = pick(bt, bs, target == 2 ? 1 : 0, ec);
                dx[i0 + w + 1] = pick(bt, bs, target == 3 ? 1 : 0, ed);
            }
        });
    }

    /** The target's value, else a tied input's, else +0 (target and tied are 0 or 1), without branching. */
    private static float pick(/*bits*/int atTarget, /*bits*/int atTie, int target, int tied) {
        return Float.intBitsToFloat((atTarget & -target) | (atTie & -(tied & (1 - target))));
    }

    /** Fills tie with the absolute indices of the window's maxima in row-major order; returns how many. */
    private static int tieSet(float[] x, int in, int w, int y0, int y1, int x0, int x1, int[] tie) {
        float m = Float.NEGATIVE_INFINITY;
        int k = 0;
        boolean nan = false;
        for (int iy = y0; iy < y1; iy++) {
            for (int ix = x0; ix < x1; ix++) {
                int idx = in + iy * w + ix;
                float v = x[idx];
                if (v != v) {
                    if (!nan) { nan = true; k = 0; }
                    tie[k++] = idx;
                } else if (!nan) {
                    if (v > m) { m = v; k = 0; tie[k++] = idx; } else if (v == m) tie[k++] = idx;
                }
            }
        }
        return k;
    }

    /**
     * Average pooling over windows given by their bounds: output (oy, ox) averages rows [rows[2oy], rows[2oy+1]) and
     * columns [cols[2ox], cols[2ox+1]), divided by divisor, or by the window's own area when divisor is 0. Covers
     * AvgPool2d (fixed kernel area, zero padding counted) and AdaptiveAvgPool2d (its own area).
     */
    static void avgPoolForward(WorkerPool pool, float[] x, int planes, int h, int w, int[] rows, int[] cols,
                               int divisor, float[] y, Format f) {
        int ho = rows.length / 2, wo = cols.length / 2;
        int tasks = WorkerPool.tasks((long) planes * h * w, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, planes));
        pool.run(tasks, t -> {
            for (int pl = WorkerPool.start(planes, tasks, t), end = WorkerPool.start(planes, tasks, t + 1); pl < end; pl++) {
                int in = pl * h * w, out = pl * ho * wo;
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        int y0 = rows[2 * oy], y1 = rows[2 * oy + 1], x0 = cols[2 * ox], x1 = cols[2 * ox + 1];
                        float acc = 0;
                        for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) acc += x[in + iy * w + ix];
                        float area = divisor != 0 ? divisor : (y1 - y0) * (x1 - x0);
                        y[out + oy * wo + ox] = f.round(acc / area);
                    }
                }
            }
        });
    }

    static void avgPoolBackward(WorkerPool pool, float[] dy, int planes, int h, int w, int[] rows, int[] cols,
                                int divisor, float[] dx, Format f) {
        int ho = rows.length / 2, wo = cols.length / 2;
        int tasks = WorkerPool.tasks((long) planes * h * w, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, planes));
        pool.run(tasks, t -> {
            for (int pl = WorkerPool.start(planes, tasks, t), end = WorkerPool.start(planes, tasks, t + 1); pl < end; pl++) {
                int in = pl * h * w, out = pl * ho * wo;
                java.util.Arrays.fill(dx, in, in + h * w, 0);
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        int y0 = rows[2 * oy], y1 = rows[2 * oy + 1], x0 = cols[2 * ox], x1 = cols[2 * ox + 1];
                        float area = divisor != 0 ? divisor : (y1 - y0) * (x1 - x0);
                        float share = dy[out + oy * wo + ox] / area;
                        for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) dx[in + iy * w + ix] += share;
                    }
                }
                f.roundInPlace(dx, in, h * w);
            }
        });
    }
}
