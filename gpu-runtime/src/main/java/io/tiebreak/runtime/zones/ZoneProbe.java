package io.tiebreak.runtime.zones;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.Model;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.models.Models;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.nn.MaxPool2d;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;

/**
 * Classifies minibatches into zones for a policy pair: the same weights and batch go through a policy-A and a
 * policy-B copy of the model at the working precision; when their gradients differ bitwise, both are recomputed in
 * fp64 from the fp64-converted weights and inputs (the bitwise fp64 verdict), and the exact test decides whether they
 * differ over the reals: the fp64 models' backward evaluated exactly modulo primes, at the fp64 forward's point
 * ({@link ModularBackend}; docs/design.md, "Zones over the reals"). Four models are kept across minibatches, but
 * only the one working holds activations: each drops its buffers once its gradients are computed, so a probe needs
 * the memory of one model's training step plus four sets of parameters. When the working precision is fp64 its
 * models and results are the fp64 ones (recomputing them would give the same bits).
 */
public final class ZoneProbe {
    /** Primes of the exact test, in order: a second one only confirms an agreement the first found. */
    private static final List<PrimeField> FIELDS = List.of(PrimeField.P1, PrimeField.P2);

    private final Backend backend;
    private final ModularBackend exact;
    private final Precision precision;
    private final Model a, b, a64, b64;

    /**
     * Models for spec under policies A and B at precision and at fp64. Weights are set with {@link #setWeights}
     * (or left as initialized from seed, identical in all four models).
     */
    public ZoneProbe(Backend backend, ModelSpec spec, Precision precision, PoolPolicy policyA, PoolPolicy policyB,
                     double reluAlpha, long seed) {
        this.backend = backend;
        this.exact = new ModularBackend(backend); // passes through to backend outside the exact test
        this.precision = precision;
        this.a = Models.build(spec, new Context(exact, precision), policyA, reluAlpha, seed);
        this.b = Models.build(spec, new Context(exact, precision), policyB, reluAlpha, seed);
        boolean fp64 = precision == Precision.FP64;
        this.a64 = fp64 ? a : Models.build(spec, new Context(exact, Precision.FP64), policyA, reluAlpha, seed);
        this.b64 = fp64 ? b : Models.build(spec, new Context(exact, Precision.FP64), policyB, reluAlpha, seed);
        syncFrom(a);
    }

    /** The working-precision policy-A model, whose parameters can be loaded (then call {@link #syncFromA}). */
    public Model modelA() { return a; }

    /** Copies model A's parameters and buffers into the other three models (fp64 ones by exact widening). */
    public void syncFromA() { syncFrom(a); }

    private void syncFrom(Model src) {
        List<Parameter> ps = src.parameters();
        for (Model m : a64 == a ? List.of(b) : List.of(b, a64, b64)) {
            List<Parameter> qs = m.parameters();
            for (int i = 0; i < ps.size(); i++) backend.convert(ps.get(i).value(), qs.get(i).value());
        }
    }

    /** Classifies one batch x [N,C,H,W] (binary32 values as the batch assembler makes them) with its labels. */
    public ZoneMeasurement measure(float[] x, int[] labels) {
        int[] shape = {labels.length, a.spec().inChannels(), a.spec().height(), a.spec().width()};
        Tensor xp = backend.zeros(precision, shape);
        backend.write(xp, x);
        double loss = gradients(a, xp, labels);
        long[] ties = ties(a);
        gradients(b, xp, labels);
        Diff d = diff(a, b);
        Tensor x64 = xp;
        if (a64 != a) {
            x64 = backend.zeros(Precision.FP64, shape);
            backend.convert(xp, x64); // the working-precision inputs, widened exactly
            gradients(a64, x64, labels);
        }
        long[] ties64 = ties(a64);
        if (d.identical) {
            return new ZoneMeasurement(Zone.AGREE, Zone.AGREE, -1, 0, 0, Double.NaN, Double.NaN, loss, poolNames(),
                    ties, ties64, parameterNames(), d.share);
        }
        Diff d64 = d;
        if (b64 != b) {
            gradients(b64, x64, labels);
            d64 = diff(a64, b64);
        }
        Zone bitwise = d64.identical ? Zone.COMPENSATION : Zone.BIFURCATION;
        long differing = differingOverTheReals(x64, labels);
        Zone zone = differing < 0 ? bitwise : differing > 0 ? Zone.BIFURCATION : Zone.COMPENSATION;
        return new ZoneMeasurement(zone, bitwise, differing, d.l1, d.linf, d64.l1, d64.linf, loss, poolNames(), ties,
                ties64, parameterNames(), d.share);
    }

    /**
     * The exact test: the gradient coordinates in which policy A's and B's exact gradients differ, found modulo the
     * first prime that shows any (0 when none does: equal over the reals unless both primes divide every nonzero
     * difference), or -1 when a value of the fp64 pass is not finite and has no exact counterpart.
     */
    private long differingOverTheReals(Tensor x64, int[] labels) {
        for (PrimeField field : FIELDS) {
            ModularBackend.Residues ra = exact.gradients(a64, x64, labels, field);
            a64.releaseBuffers();
            ModularBackend.Residues rb = exact.gradients(b64, x64, labels, field);
            b64.releaseBuffers();
            if (!ra.finite() || !rb.finite()) return -1;
            long n = ra.differing(rb);
            if (n > 0) return n;
        }
        return 0;
    }

    /** m's gradients for the batch (kept in its parameters), then its activations dropped; returns the loss. */
    private static double gradients(Model m, Tensor x, int[] labels) {
        double loss = m.lossAndGradients(x, labels, 1).loss();
        m.releaseBuffers();
        return loss;
    }

    private record Diff(boolean identical, double l1, double linf, double[] share) {}

    /** Bitwise comparison and difference norms of two models' gradients, parameter by parameter. */
    private Diff diff(Model x, Model y) {
        List<Parameter> px = x.trainable(), py = y.trainable();
        boolean identical = true;
        double l1 = 0, linf = 0;
        double[] perParam = new double[px.size()];
        for (int i = 0; i < px.size(); i++) {
            double[] gx = backend.download(px.get(i).grad()), gy = backend.download(py.get(i).grad());
            double s = 0;
            for (int j = 0; j < gx.length; j++) {
                if (Double.doubleToRawLongBits(gx[j]) != Double.doubleToRawLongBits(gy[j])) identical = false;
                double dd = Math.abs(gx[j] - gy[j]);
                s += dd;
                if (dd > linf || dd != dd) linf = dd;
            }
            perParam[i] = s;
            l1 += s;
        }
        double[] share = new double[perParam.length];
        for (int i = 0; i < share.length; i++) share[i] = l1 > 0 ? perParam[i] / l1 : 0;
        return new Diff(identical, l1, linf, share);
    }

    private static long[] ties(Model m) {
        return m.pools().stream().mapToLong(MaxPool2d::lastTies).toArray();
    }

    private List<String> poolNames() { return a.pools().stream().map(MaxPool2d::name).toList(); }

    private List<String> parameterNames() { return a.trainable().stream().map(Parameter::name).toList(); }
}
