package io.tiebreak.runtime.zones;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.Model;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.tensor.Shapes;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;

/**
 * The zones' exact test (docs/design.md, "Zones over the reals"): a backend that, inside {@link #gradients} (or
 * {@link #exactly}), runs an fp64 model's forward on the backend it wraps and its backward exactly, modulo a
 * {@link PrimeField}'s prime, at the point that forward computed. Outside them every call goes straight to the
 * wrapped backend, so models built on this one compute the wrapped backend's bits. Tensors are the wrapped backend's; it owns nothing and closes nothing.
 *
 * <p>The forward's values (inputs, weights, activations, batch-norm statistics) and the fp64 loss gradient at the
 * logits enter the backward as the exact rationals they are, and each op's backward is its formula over the reals:
 * <ul>
 *   <li>conv, linear: the wrapped backend's fp64 kernels applied to residues, which is exact integer arithmetic while
 *       a sum holds at most {@link PrimeField#MAX_TERMS} products (checked);</li>
 *   <li>ReLU: dy where x > 0, alpha * dy at x == 0, 0 below; max pool: the policy's element of the Clarke Jacobian on
 *       the fp64 forward's tie set, min-norm's 1/k exactly, and beta:B's composite form as its exact form (over the
 *       reals B * min + (1 - B) * max of a window is its max, so the forward is the max too);</li>
 *   <li>average pools, batch norm, residual sums: on the host, in the field.</li>
 * </ul>
 * Residues are stored as binary64 integers in [-(p-1)/2, (p-1)/2]. A value that is not finite has no residue: the
 * pass then reports itself not finite, and its residues mean nothing.
 */
public final class ModularBackend implements Backend {
    private final Backend fp64;
    private PrimeField field; // null: plain delegation
    private boolean inBackward; // since the loss: add and scale act on gradients, hence on residues
    private boolean finite;

    public ModularBackend(Backend fp64) {
        this.fp64 = fp64;
    }

    /** The residues of a model's parameter gradients, in {@link Model#trainable()} order, and whether they exist. */
    public record Residues(PrimeField field, List<double[]> gradients, boolean finite) {
        /** How many coordinates differ from other's: those whose exact difference is not a multiple of the prime. */
        public long differing(Residues other) {
            if (field != other.field) throw new IllegalArgumentException("residues modulo different primes");
            long n = 0;
            for (int i = 0; i < gradients.size(); i++) {
                double[] a = gradients.get(i), b = other.gradients.get(i);
                for (int j = 0; j < a.length; j++) if (a[j] != b[j]) n++;
            }
            return n;
        }
    }

    /**
     * m's gradients for the batch modulo field's prime: m's forward in fp64 as {@link Model#lossAndGradients} runs it,
     * then its backward exactly. m must be an fp64 model built on this backend; its gradients hold residues after.
     */
    public Residues gradients(Model m, Tensor x, int[] labels, PrimeField field) {
        if (m.backend() != this || m.context().precision() != Precision.FP64) {
            throw new IllegalArgumentException("the exact test needs an fp64 model built on this backend");
        }
        List<double[]> grads = new java.util.ArrayList<>();
        boolean finite = exactly(field, () -> {
            m.lossAndGradients(x, labels, 1);
            for (var p : m.trainable()) grads.add(fp64.download(p.grad()));
        });
        return new Residues(field, grads, finite);
    }

    /**
     * Runs ops with this backend's backward ops computing modulo field's prime (forward ops stay fp64; add and scale
     * act on residues once a loss has been computed), then returns to plain delegation. Returns whether every value
     * the backward took from the forward was finite: if not, the residues mean nothing.
     */
    public boolean exactly(PrimeField field, Runnable ops) {
        this.field = field;
        this.finite = true;
        this.inBackward = false;
        try {
            ops.run();
            return finite;
        } finally {
            this.field = null;
            this.inBackward = false;
        }
    }

    // ---- residues ---------------------------------------------------------------------------------------------

    private double residue(double x) {
        if (!Double.isFinite(x)) {
            finite = false;
            return 0;
        }
        return field.residue(x);
    }

    /** values replaced by their residues (in place), for arrays that are copies. */
    private double[] residues(double[] values) {
        for (int i = 0; i < values.length; i++) values[i] = residue(values[i]);
        return values;
    }

    /** A new fp64 tensor holding the residues of t's values. */
    private Tensor residuesOf(Tensor t) {
        requireDouble(t);
        return fp64.upload(Precision.FP64, t.shape(), residues(fp64.download(t)));
    }

    private void reduce(Tensor t) {
        if (t == null) return;
        double[] v = fp64.download(t);
        field.reduceInPlace(v);
        fp64.write(t, v);
    }

    private static void requireDouble(Tensor t) {
        if (t.precision() != Precision.FP64) throw new IllegalArgumentException("the exact test runs on fp64, got " + t);
    }

    static void requireExact(long terms, String sum) {
        if (terms > PrimeField.MAX_TERMS) {
            throw new IllegalArgumentException("the exact zone test cannot sum " + terms + " products (" + sum
                    + ") exactly in binary64: at most " + PrimeField.MAX_TERMS + "; use smaller minibatches");
        }
    }

    // ---- delegated: memory, forward ops, optimizer updates ----------------------------------------------------

    @Override public String name() { return fp64.name(); }
    @Override public String description() { return fp64.description(); }
    @Override public int threads() { return fp64.threads(); }
    @Override public Tensor zeros(Precision precision, int... shape) { return fp64.zeros(precision, shape); }
    @Override public void write(Tensor dst, double[] values) { fp64.write(dst, values); }
    @Override public void write(Tensor dst, float[] values) { fp64.write(dst, values); }
    @Override public double[] download(Tensor t) { return fp64.download(t); }
    @Override public void copy(Tensor src, Tensor dst) { fp64.copy(src, dst); }
    @Override public void convert(Tensor src, Tensor dst) { fp64.convert(src, dst); }
    @Override public void fill(Tensor t, double value) { fp64.fill(t, value); }
    @Override public long countNonFinite(Tensor t) { return fp64.countNonFinite(t); }
    // Copies, exact on values and residues alike.
    @Override public void concatForward(Tensor a, Tensor b, Tensor y) { fp64.concatForward(a, b, y); }
    @Override public void concatBackward(Tensor dy, Tensor da, Tensor db) { fp64.concatBackward(dy, da, db); }
    @Override public double[] norms(Tensor t) { return fp64.norms(t); }

    private void forward() { inBackward = false; }

    @Override
    public void conv2dForward(Tensor x, Tensor w, Tensor b, ConvGeometry g, Tensor y) {
        forward();
        fp64.conv2dForward(x, w, b, g, y);
    }

    @Override
    public void linearForward(Tensor x, Tensor w, Tensor b, Tensor y) {
        forward();
        fp64.linearForward(x, w, b, y);
    }

    @Override
    public void reluForward(Tensor x, Tensor y) {
        forward();
        fp64.reluForward(x, y);
    }

    @Override
    public long maxPoolForward(Tensor x, PoolGeometry g, PoolPolicy policy, Tensor y) {
        forward();
        boolean composite = field != null && policy.form() == PoolPolicy.Form.COMPOSITE;
        return fp64.maxPoolForward(x, g, composite ? PoolPolicy.beta(policy.beta(), PoolPolicy.Form.EXACT) : policy, y);
    }

    @Override
    public void avgPoolForward(Tensor x, PoolGeometry g, Tensor y) {
        forward();
        fp64.avgPoolForward(x, g, y);
    }

    @Override
    public void adaptiveAvgPoolForward(Tensor x, Tensor y) {
        forward();
        fp64.adaptiveAvgPoolForward(x, y);
    }

    @Override
    public void batchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                 boolean training, double momentum, double eps, Tensor y, Tensor saveMean,
                                 Tensor saveInvStd) {
        forward();
        fp64.batchNormForward(x, gamma, beta, runningMean, runningVar, training, momentum, eps, y, saveMean, saveInvStd);
    }

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, Tensor momentumBuf, double lr, double momentum,
                          double dampening, double weightDecay, boolean nesterov, boolean firstStep) {
        fp64.sgdUpdate(param, grad, momentumBuf, lr, momentum, dampening, weightDecay, nesterov, firstStep);
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, double lr, double beta1,
                           double beta2, double eps, double weightDecay, long step) {
        fp64.adamUpdate(param, grad, expAvg, expAvgSq, lr, beta1, beta2, eps, weightDecay, step);
    }

    // ---- micro-batch ops (data parallelism): the exact test runs whole batches, which never reach them -------

    @Override public void batchNormSum(Tensor x, Tensor sum) { forwardOnly("batchNormSum").batchNormSum(x, sum); }
    @Override public void batchNormSquaredDeviations(Tensor x, Tensor mean, Tensor squares) {
        forwardOnly("batchNormSquaredDeviations").batchNormSquaredDeviations(x, mean, squares);
    }
    @Override public void batchNormMean(Tensor sum, int count, Tensor saveMean) {
        forwardOnly("batchNormMean").batchNormMean(sum, count, saveMean);
    }
    @Override public void batchNormVariance(Tensor squares, int count, double momentum, double eps, Tensor saveMean,
                                            Tensor runningMean, Tensor runningVar, Tensor saveInvStd) {
        forwardOnly("batchNormVariance").batchNormVariance(squares, count, momentum, eps, saveMean, runningMean,
                runningVar, saveInvStd);
    }
    @Override public void batchNormNormalize(Tensor x, Tensor gamma, Tensor beta, Tensor saveMean, Tensor saveInvStd,
                                             Tensor y) {
        forwardOnly("batchNormNormalize").batchNormNormalize(x, gamma, beta, saveMean, saveInvStd, y);
    }
    @Override public void batchNormBackwardSums(Tensor x, Tensor dy, Tensor saveMean, Tensor sums) {
        forwardOnly("batchNormBackwardSums").batchNormBackwardSums(x, dy, saveMean, sums);
    }
    @Override public void batchNormParameterGradients(Tensor sums, Tensor saveInvStd, Tensor dgamma, Tensor dbeta) {
        forwardOnly("batchNormParameterGradients").batchNormParameterGradients(sums, saveInvStd, dgamma, dbeta);
    }
    @Override public void batchNormInputGradient(Tensor x, Tensor gamma, Tensor dy, Tensor saveMean, Tensor saveInvStd,
                                                 Tensor sums, int count, Tensor dx) {
        forwardOnly("batchNormInputGradient").batchNormInputGradient(x, gamma, dy, saveMean, saveInvStd, sums, count, dx);
    }
    @Override public LossSum softmaxCrossEntropySum(Tensor logits, int[] labels, double lossScale, int batchSize,
                                                    Tensor dlogits) {
        return forwardOnly("softmaxCrossEntropySum").softmaxCrossEntropySum(logits, labels, lossScale, batchSize, dlogits);
    }

    /** fp64, outside an exact pass; inside one, a micro-batch op is a caller's mistake, said, never a wrong residue. */
    private Backend forwardOnly(String op) {
        if (field != null) throw new IllegalStateException("the exact test runs whole batches; " + op + " cuts them");
        return fp64;
    }

    @Override
    public void close() {} // the wrapped backend belongs to whoever made it

    // ---- the loss: where the backward starts ------------------------------------------------------------------

    /** The fp64 loss and its gradient at the logits; in the field, that gradient is taken as exact: its residues. */
    @Override
    public LossResult softmaxCrossEntropy(Tensor logits, int[] labels, double lossScale, Tensor dlogits) {
        LossResult r = fp64.softmaxCrossEntropy(logits, labels, lossScale, dlogits);
        if (field != null && dlogits != null) {
            requireDouble(dlogits);
            fp64.write(dlogits, residues(fp64.download(dlogits)));
            inBackward = true;
        }
        return r;
    }

    // ---- backward ops: residues in, residues out --------------------------------------------------------------

    @Override
    public void conv2dBackward(Tensor x, Tensor w, Tensor dy, ConvGeometry g, Tensor dx, Tensor dw, Tensor db) {
        if (field == null) {
            fp64.conv2dBackward(x, w, dy, g, dx, dw, db);
            return;
        }
        requireExact((long) dy.dim(0) * dy.dim(2) * dy.dim(3), "weight gradient of a convolution");
        if (dx != null) requireExact((long) g.outChannels() * g.kernelH() * g.kernelW(), "input gradient of a convolution");
        fp64.conv2dBackward(residuesOf(x), residuesOf(w), dy, g, dx, dw, db);
        reduce(dx);
        reduce(dw);
        reduce(db);
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db) {
        if (field == null) {
            fp64.linearBackward(x, w, dy, dx, dw, db);
            return;
        }
        requireExact(dy.dim(0), "weight gradient of a linear layer");
        if (dx != null) requireExact(dy.dim(1), "input gradient of a linear layer");
        fp64.linearBackward(residuesOf(x), residuesOf(w), dy, dx, dw, db);
        reduce(dx);
        reduce(dw);
        reduce(db);
    }

    @Override
    public void reluBackward(Tensor x, Tensor dy, double alpha, Tensor dx) {
        if (field == null) {
            fp64.reluBackward(x, dy, alpha, dx);
            return;
        }
        Shapes.requireSame(x, dy, "relu backward");
        double[] xv = fp64.download(x), g = fp64.download(dy);
        double a = residue(alpha);
        for (int i = 0; i < g.length; i++) {
            double v = xv[i];
            if (!Double.isFinite(v)) finite = false;
            g[i] = v > 0 ? g[i] : v == 0 ? field.multiply(a, g[i]) : 0;
        }
        fp64.write(dx, g);
    }

    @Override
    public void maxPoolBackward(Tensor x, Tensor dy, PoolGeometry g, PoolPolicy policy, Tensor dx) {
        if (field == null) {
            fp64.maxPoolBackward(x, dy, g, policy, dx);
            return;
        }
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), ho = g.out(h), wo = g.out(w);
        Shapes.require(dy, "max pool output gradient", x.dim(0), x.dim(1), ho, wo);
        double[] xv = fp64.download(x), gv = fp64.download(dy), out = new double[xv.length];
        double beta = residue(policy.beta()), oneMinusBeta = field.add(1, -beta);
        double[] inverse = new double[g.kernel() * g.kernel() + 1];
        for (int k = 1; k < inverse.length; k++) inverse[k] = field.inverse(field.of(k));
        int[] tie = new int[g.kernel() * g.kernel()];
        for (int pl = 0; pl < planes; pl++) {
            int in = pl * h * w;
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    int k = tieSet(xv, in, w, g.windowStart(oy), g.windowEnd(oy, h), g.windowStart(ox),
                            g.windowEnd(ox, w), tie);
                    double gr = gv[(pl * ho + oy) * wo + ox];
                    switch (policy.kind()) {
                        case FIRST -> out[tie[0]] = field.add(out[tie[0]], gr);
                        case LAST -> out[tie[k - 1]] = field.add(out[tie[k - 1]], gr);
                        case ALL -> { for (int i = 0; i < k; i++) out[tie[i]] = field.add(out[tie[i]], gr); }
                        case MIN_NORM -> {
                            double share = field.multiply(gr, inverse[k]);
                            for (int i = 0; i < k; i++) out[tie[i]] = field.add(out[tie[i]], share);
                        }
                        case BETA -> { // B * min-norm + (1 - B) * first
                            double share = field.multiply(field.multiply(beta, gr), inverse[k]);
                            for (int i = 0; i < k; i++) out[tie[i]] = field.add(out[tie[i]], share);
                            out[tie[0]] = field.add(out[tie[0]], field.multiply(oneMinusBeta, gr));
                        }
                    }
                }
            }
        }
        fp64.write(dx, out);
    }

    /** The window's maxima in row-major order, as the kernels find them; a NaN makes the pass not finite. */
    private int tieSet(double[] x, int in, int w, int y0, int y1, int x0, int x1, int[] tie) {
        double m = Double.NEGATIVE_INFINITY;
        int k = 0;
        for (int iy = y0; iy < y1; iy++) {
            for (int ix = x0; ix < x1; ix++) {
                int idx = in + iy * w + ix;
                double v = x[idx];
                if (!Double.isFinite(v)) finite = false;
                if (v > m) {
                    m = v;
                    k = 0;
                    tie[k++] = idx;
                } else if (v == m) {
                    tie[k++] = idx;
                }
            }
        }
        if (k == 0) tie[k++] = in + y0 * w + x0; // all NaN: the pass is void anyway
        return k;
    }

    @Override
    public void avgPoolBackward(Tensor dy, PoolGeometry g, Tensor dx) {
        if (field == null) {
            fp64.avgPoolBackward(dy, g, dx);
            return;
        }
        averagePoolBackward(dy, g.windows(dx.dim(2)), g.windows(dx.dim(3)), g.kernel() * g.kernel(), dx);
    }

    @Override
    public void adaptiveAvgPoolBackward(Tensor dy, Tensor dx) {
        if (field == null) {
            fp64.adaptiveAvgPoolBackward(dy, dx);
            return;
        }
        averagePoolBackward(dy, PoolGeometry.adaptiveWindows(dx.dim(2), dy.dim(2)),
                PoolGeometry.adaptiveWindows(dx.dim(3), dy.dim(3)), 0, dx);
    }

    /** dx += dy / divisor over each window (divisor 0: the window's area), windows given by their bounds. */
    private void averagePoolBackward(Tensor dy, int[] rows, int[] cols, int divisor, Tensor dx) {
        int planes = dx.dim(0) * dx.dim(1), h = dx.dim(2), w = dx.dim(3), ho = rows.length / 2, wo = cols.length / 2;
        double[] gv = fp64.download(dy), out = new double[dx.size()];
        java.util.Map<Integer, Double> inverses = new java.util.HashMap<>(); // 1 / area, for the few areas there are
        for (int pl = 0; pl < planes; pl++) {
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    int y0 = rows[2 * oy], y1 = rows[2 * oy + 1], x0 = cols[2 * ox], x1 = cols[2 * ox + 1];
                    double inverse = inverses.computeIfAbsent(divisor != 0 ? divisor : (y1 - y0) * (x1 - x0),
                            a -> field.inverse(field.of(a)));
                    double share = field.multiply(gv[(pl * ho + oy) * wo + ox], inverse);
                    for (int iy = y0; iy < y1; iy++) {
                        for (int ix = x0; ix < x1; ix++) {
                            int i = (pl * h + iy) * w + ix;
                            out[i] = field.add(out[i], share);
                        }
                    }
                }
            }
        }
        fp64.write(dx, out);
    }

    /**
     * Training-mode batch norm backward over the reals at the saved statistics, as the kernels write it: with
     * xm = x - mean, dgamma = sum(xm dy) invstd, dbeta = sum(dy),
     * dx = (dy - xm sum(xm dy) invstd^2 / count - sum(dy) / count) invstd gamma.
     */
    @Override
    public void batchNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor saveMean, Tensor saveInvStd, Tensor dx,
                                  Tensor dgamma, Tensor dbeta) {
        if (field == null) {
            fp64.batchNormBackward(x, gamma, dy, saveMean, saveInvStd, dx, dgamma, dbeta);
            return;
        }
        int n = x.dim(0), c = x.dim(1), spatial = x.size() / Math.max(1, n * c);
        double[] xv = fp64.download(x), gv = fp64.download(dy), out = new double[xv.length];
        double[] gammaR = residues(fp64.download(gamma)), mean = residues(fp64.download(saveMean));
        double[] invStd = residues(fp64.download(saveInvStd)), dGamma = new double[c], dBeta = new double[c];
        double invCount = field.inverse(field.of((long) n * spatial));
        for (int ch = 0; ch < c; ch++) {
            double sumDy = 0, dot = 0;
            for (int b = 0; b < n; b++) {
                for (int i = (b * c + ch) * spatial, end = i + spatial; i < end; i++) {
                    sumDy = field.add(sumDy, gv[i]);
                    dot = field.add(dot, field.multiply(field.add(residue(xv[i]), -mean[ch]), gv[i]));
                }
            }
            dGamma[ch] = field.multiply(dot, invStd[ch]);
            dBeta[ch] = sumDy;
            double gradMean = field.multiply(sumDy, invCount);
            double projScale = field.multiply(field.multiply(dot, invCount), field.multiply(invStd[ch], invStd[ch]));
            double gradScale = field.multiply(invStd[ch], gammaR[ch]);
            for (int b = 0; b < n; b++) {
                for (int i = (b * c + ch) * spatial, end = i + spatial; i < end; i++) {
                    double xm = field.add(residue(xv[i]), -mean[ch]);
                    double v = field.add(field.add(gv[i], -field.multiply(xm, projScale)), -gradMean);
                    out[i] = field.multiply(v, gradScale);
                }
            }
        }
        fp64.write(dx, out);
        fp64.write(dgamma, dGamma);
        fp64.write(dbeta, dBeta);
    }

    /** A residual sum: of activations in the forward, of gradients (residues) in the backward. */
    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        if (field == null || !inBackward) {
            fp64.add(a, b, out);
            return;
        }
        Shapes.requireSame(a, b, "add");
        double[] av = fp64.download(a), bv = fp64.download(b);
        for (int i = 0; i < av.length; i++) av[i] = field.add(av[i], bv[i]);
        fp64.write(out, av);
    }

    @Override
    public void scale(Tensor t, double factor) {
        if (field == null || !inBackward) {
            fp64.scale(t, factor);
            return;
        }
        double f = residue(factor);
        double[] v = fp64.download(t);
        for (int i = 0; i < v.length; i++) v[i] = field.multiply(v[i], f);
        fp64.write(t, v);
    }
}
