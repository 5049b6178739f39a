package io.tiebreak.runtime.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences against analytic gradients, in fp64, at a few coordinates of each tensor. The test
 * points are random real values, so ties in max pooling and zeros at ReLU have probability zero.
 */
public final class GradientCheck {
    private GradientCheck() {}

    /**
     * Step 1e-8: deep networks with batch-norm on tiny batches have large curvature and millions of ReLU kinks, and
     * central differences there only converge below 1e-7 (VGG13-BN's first weights: 1e-6 is off by 4e-3, 1e-8 by
     * 1e-6); fp64 round-off still costs only ~1e-8 of the slope.
     */
    static final double EPS = 1e-8, TOLERANCE = 1e-6;

    /**
     * Checks d(loss)/d(t) at {@code samples} random coordinates, where grad holds the analytic gradient (downloaded
     * before calling) and loss recomputes the scalar from scratch.
     */
    public static void check(Backend b, String what, Tensor t, double[] grad, DoubleSupplier loss, int samples, Rng rng) {
        double[] v = b.download(t);
        double base = loss.getAsDouble();
        int checked = 0, kinks = 0;
        while (checked < samples) {
            int i = rng.nextInt(v.length);
            double keep = v[i];
            v[i] = keep + EPS;
            b.write(t, v);
            double up = loss.getAsDouble();
            v[i] = keep - EPS;
            b.write(t, v);
            double down = loss.getAsDouble();
            v[i] = keep;
            b.write(t, v);
            double numeric = (up - down) / (2 * EPS);
            // A ReLU or a pooling max switching within +-EPS makes the one-sided slopes disagree: the loss is not
            // differentiable there at this resolution, so pick another coordinate (but not forever).
            double right = (up - base) / EPS, left = (base - down) / EPS;
            if (Math.abs(right - left) > 1e-3 * Math.max(1, Math.abs(numeric))) {
                assertTrue(++kinks <= 2 * samples, what + ": too many non-differentiable points, last at " + i);
                continue;
            }
            double err = Math.abs(numeric - grad[i]) / Math.max(1, Math.abs(numeric));
            assertTrue(err < TOLERANCE, what + "[" + i + "]: analytic " + grad[i] + ", numeric " + numeric + " (error " + err + ")");
            checked++;
        }
    }

    /** Random values in [-1, 1). */
    public static double[] random(int n, Rng rng) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.uniform(-1, 1);
        return v;
    }

    /** Checks a layer on loss = sum(w * layer(x)) with random w, for the input and every trainable parameter. */
    public static void checkLayer(Context ctx, Layer layer, int[] inShape, long seed) {
        Backend b = ctx.backend();
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
        check(b, "input", x, dxv, loss, 12, rng);
        for (int k = 0; k < params.size(); k++) {
            if (grads[k] != null) check(b, params.get(k).name(), params.get(k).value(), grads[k], loss, 8, rng);
        }
    }
}
