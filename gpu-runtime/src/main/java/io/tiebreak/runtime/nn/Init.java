package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.precision.Transcendentals;
import io.tiebreak.runtime.random.Rng;

/**
 * PyTorch's initialization schemes, drawn from our seeded generator (so the same seed gives the same weights, not
 * PyTorch's weights). Values are drawn in binary64 and rounded once to the working precision, as model.half() does.
 */
public final class Init {
    private Init() {}

    /** How a conv or linear weight is initialized. */
    public enum Scheme {
        /** nn.Conv2d/nn.Linear default: kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
        PYTORCH_DEFAULT,
        /** kaiming_normal(mode='fan_out', nonlinearity='relu'): N(0, 2/fan_out), as ResNet convs. */
        KAIMING_NORMAL_FAN_OUT,
        /** kaiming_normal() with its defaults (mode='fan_in', a=0): N(0, 2/fan_in), as the study's DenseNet convs. */
        KAIMING_NORMAL_FAN_IN
    }

    /** Fills the weight per scheme; fanIn/fanOut count inputs/outputs per output/input unit including the kernel. */
    public static void weight(Context ctx, Parameter p, Scheme scheme, int fanIn, int fanOut, Rng rng) {
        double[] v = new double[p.value().size()];
        if (scheme != Scheme.PYTORCH_DEFAULT) {
            double std = Transcendentals.sqrt(2.0 / (scheme == Scheme.KAIMING_NORMAL_FAN_OUT ? fanOut : fanIn));
            for (int i = 0; i < v.length; i++) v[i] = std * rng.normal();
        } else {
            double bound = 1 / Transcendentals.sqrt(fanIn);
            for (int i = 0; i < v.length; i++) v[i] = rng.uniform(-bound, bound);
        }
        ctx.backend().write(p.value(), v);
    }

    /** nn.Conv2d/nn.Linear default bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
    public static void bias(Context ctx, Parameter p, int fanIn, Rng rng) {
        double bound = 1 / Transcendentals.sqrt(fanIn);
        double[] v = new double[p.value().size()];
        for (int i = 0; i < v.length; i++) v[i] = rng.uniform(-bound, bound);
        ctx.backend().write(p.value(), v);
    }

    public static void constant(Context ctx, Parameter p, double value) {
        ctx.backend().fill(p.value(), value);
    }
}
