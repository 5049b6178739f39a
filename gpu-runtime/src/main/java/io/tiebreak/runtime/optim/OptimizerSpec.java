package io.tiebreak.runtime.optim;

import java.util.Locale;

/** Optimizer and its settings, with PyTorch's meaning and defaults. */
public record OptimizerSpec(Kind kind, double momentum, double dampening, double weightDecay, boolean nesterov,
                            double beta1, double beta2, double eps) implements java.io.Serializable {

    public enum Kind {
        SGD, ADAM;
        public String id() { return name().toLowerCase(Locale.ROOT); }
        public static Kind parse(String s) {
            for (Kind k : values()) if (k.id().equals(s.trim().toLowerCase(Locale.ROOT))) return k;
            throw new IllegalArgumentException("unknown optimizer '" + s + "': expected sgd or adam");
        }
    }

    public OptimizerSpec {
        if (momentum < 0 || weightDecay < 0 || eps <= 0 || beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) {
            throw new IllegalArgumentException("invalid optimizer settings " + this);
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("nesterov needs momentum > 0 and dampening 0");
        }
    }

    /** The reference study's SGD: momentum 0.9, weight decay 5e-4. */
    public static OptimizerSpec studySgd() { return sgd(0.9, 5e-4, false); }

    public static OptimizerSpec sgd(double momentum, double weightDecay, boolean nesterov) {
        return new OptimizerSpec(Kind.SGD, momentum, 0, weightDecay, nesterov, 0.9, 0.999, 1e-8);
    }

    /** torch.optim.Adam defaults (betas 0.9, 0.999, eps 1e-8, no weight decay). */
    public static OptimizerSpec adam(double weightDecay) {
        return new OptimizerSpec(Kind.ADAM, 0, 0, weightDecay, false, 0.9, 0.999, 1e-8);
    }
}
