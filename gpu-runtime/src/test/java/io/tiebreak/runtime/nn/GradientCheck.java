package io.tiebreak.runtime.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences against analytic gradients, in fp64, at a few coordinates of each tensor. Only
 * coordinates where the loss is smooth over the whole step are compared: a coordinate whose +-h evaluations change
 * the activation pattern (a ReLU sign, a max-pool tie set: {@link ActivationPattern}), or whose one-sided slopes
 * disagree, straddles a kink, where no finite difference gives the derivative; it is skipped, counted, and another
 * coordinate is drawn. Where such kinks sit depends on last-bit differences between machines' BLAS kernels, so
 * without this a check passes on one CPU and fails on another. So does the round-off of deep networks at the small
 * step: a coordinate whose difference with step 2h disagrees with the one at h is skipped and counted too. The
 * tolerance is never widened for a coordinate.
 */
public final class GradientCheck {
    private GradientCheck() {}

    /**
     * Step 1e-8: deep networks with batch-norm on tiny batches have large curvature, and central differences there
     * only converge below 1e-7 (VGG13-BN's first weights: 1e-6 is off by 4e-3, 1e-8 by 1e-6); fp64 round-off still
     * costs only ~1e-8 of the slope.
     */
    static final double EPS = 1e-8, TOLERANCE = 1e-6;
    /** Drawing stops with a failure after this many skipped coordinates per checked one: kinks everywhere is a bug. */
    private static final int MAX_SKIPS_PER_CHECK = 4;

    /** What a check compared and what it skipped, and why. */
    public record Report(String what, int checked, int patternChanged, int slopesDisagree, int noisy) {
        @Override
        public String toString() {
            return what + ": " + checked + " coordinates checked, " + (patternChanged + slopesDisagree)
                    + " skipped as kinks (activation pattern changed within +-h: " + patternChanged
                    + ", one-sided slopes disagree: " + slopesDisagree + "), " + noisy + " as drowned in round-off";
        }
    }

    /**
     * Checks d(loss)/d(t) at {@code samples} random coordinates where the loss is smooth, where grad holds the
     * analytic gradient (downloaded before calling), loss recomputes the scalar from scratch, and pattern watches
     * the backend that loss runs on.
     */
    public static Report check(ActivationPattern pattern, String what, Tensor t, double[] grad, DoubleSupplier loss,
                               int samples, Rng rng) {
        Backend b = pattern.backend();
        double[] v = b.download(t);
        pattern.take();
        double base = loss.getAsDouble();
        long basePattern = pattern.take();
        int checked = 0, patternChanged = 0, slopesDisagree = 0, noisy = 0;
        while (checked < samples) {
            int i = rng.nextInt(v.length);
            double keep = v[i];
            v[i] = keep + EPS;
            b.write(t, v);
            double up = loss.getAsDouble();
            long upPattern = pattern.take();
            v[i] = keep - EPS;
            b.write(t, v);
            double down = loss.getAsDouble();
            long downPattern = pattern.take();
            v[i] = keep;
            b.write(t, v);
            double numeric = (up - down) / (2 * EPS);
            double right = (up - base) / EPS, left = (base - down) / EPS;
            if (upPattern != basePattern || downPattern != basePattern) {
                patternChanged++;
            } else if (Math.abs(right - left) > 1e-3 * Math.max(1, Math.abs(numeric))) {
                slopesDisagree++;
            } else {
                double err = Math.abs(numeric - grad[i]) / Math.max(1, Math.abs(numeric));
                boolean roundOff = err >= TOLERANCE && roundOffDominates(b, t, v, i, loss, numeric);
                pattern.take(); // drops the activations of those extra evaluations
                if (roundOff) {
                    noisy++;
                } else {
                    assertTrue(err < TOLERANCE, what + "[" + i + "]: analytic " + grad[i] + ", numeric " + numeric
                            + " (error " + err + "; the activation pattern is the same at -h, 0 and +h, and the"
                            + " difference with step 2h agrees within the tolerance)");
                    checked++;
                }
            }
            assertTrue(patternChanged + slopesDisagree + noisy <= MAX_SKIPS_PER_CHECK * samples,
                    what + ": " + (patternChanged + slopesDisagree + noisy) + " of the coordinates drawn straddle a kink"
                            + " or drown in round-off, " + checked + " checked: the loss is not smooth almost"
                            + " everywhere, which is a bug");
        }
        Report r = new Report(what, checked, patternChanged, slopesDisagree, noisy);
        System.out.println("gradient check " + r);
        return r;
    }

    /**
     * Whether round-off, not the analytic gradient, explains a miss: the central difference with step 2h differs
     * from the one with step h by more than half the tolerance. Truncation error is negligible at these steps, so
     * the two differ only by the loss's round-off divided by the step (about 1e-16 * |loss| * ops / h), which grows
     * with depth and depends on the summation orders the backend uses; a wrong analytic gradient leaves the two
     * differences agreeing with each other and fails.
     */
    private static boolean roundOffDominates(Backend b, Tensor t, double[] v, int i, DoubleSupplier loss, double numeric) {
        double keep = v[i];
        v[i] = keep + 2 * EPS;
        b.write(t, v);
        double up = loss.getAsDouble();
        v[i] = keep - 2 * EPS;
        b.write(t, v);
        double down = loss.getAsDouble();
        v[i] = keep;
        b.write(t, v);
        double wide = (up - down) / (4 * EPS);
        return Math.abs(wide - numeric) / Math.max(1, Math.abs(numeric)) > TOLERANCE / 2;
    }

    /** Random values in [-1, 1). */
    public static double[] random(int n, Rng rng) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.uniform(-1, 1);
        return v;
    }

    /**
     * Checks a layer on loss = sum(w * layer(x)) with random w, for the input and every trainable parameter. The
     * layer must be built on a context whose backend is pattern's.
     */
    public static void checkLayer(ActivationPattern pattern, Context ctx, Layer layer, int[] inShape, long seed) {
        Backend b = ctx.backend();
        if (b != pattern.backend()) throw new IllegalArgumentException("the layer's context must use the watched backend");
        Rng rng = Rng.of(seed, "gradcheck");
        Tensor x = b.upload(ctx.precision(), inShape, random(io.tiebreak.runtime.tensor.Shapes.size(inShape), rng));
        Tensor y = layer.forward(x, true);
        double[] w = random(y.size(), rng);
        Tensor dy = b.upload(ctx.precision(), y.shape(), w);
        Tensor dx = layer.backward(dy, true);
        double[] dxv = b.download(dx);
        List<Parameter> params = new java.util.ArrayList<>();
        layer.collectParameters(params);
        double[][] grads = params.stream().map(p -> p.isTrainable() ? b.download(p.grad()) : null).toArray(double[][]::new);
        DoubleSupplier loss = () -> {
            double[] out = b.download(layer.forward(x, true));
            double s = 0;
            for (int i = 0; i < out.length; i++) s += w[i] * out[i];
            return s;
        };
        check(pattern, "input", x, dxv, loss, 12, rng);
        for (int k = 0; k < params.size(); k++) {
            if (grads[k] != null) check(pattern, params.get(k).name(), params.get(k).value(), grads[k], loss, 8, rng);
        }
    }
}
