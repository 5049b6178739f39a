package io.tiebreak.runtime.optim;

import io.tiebreak.runtime.precision.Transcendentals;
import java.util.Locale;

/** Learning rate per epoch (PyTorch schedulers stepped once per epoch). */
public record Schedule(Kind kind, int stepSize, double gamma, double etaMin) implements java.io.Serializable {

    public enum Kind {
        CONSTANT, COSINE, STEP;
        public String id() { return name().toLowerCase(Locale.ROOT); }
        public static Kind parse(String s) {
            for (Kind k : values()) if (k.id().equals(s.trim().toLowerCase(Locale.ROOT))) return k;
            throw new IllegalArgumentException("unknown schedule '" + s + "': expected constant, cosine or step");
        }
    }

    public Schedule {
        if (kind == Kind.STEP && (stepSize <= 0 || gamma <= 0)) {
            throw new IllegalArgumentException("step schedule needs step_size > 0 and gamma > 0");
        }
    }

    public static Schedule constant() { return new Schedule(Kind.CONSTANT, 0, 1, 0); }

    /** CosineAnnealingLR(T_max = epochs, eta_min = 0), as the reference study. */
    public static Schedule cosine() { return new Schedule(Kind.COSINE, 0, 1, 0); }

    public static Schedule step(int stepSize, double gamma) { return new Schedule(Kind.STEP, stepSize, gamma, 0); }

    /** Learning rate of epoch e (0-based) of a run of totalEpochs, starting from base. */
    public double lr(double base, int epoch, int totalEpochs) {
        switch (kind) {
            case COSINE:
                return etaMin + (base - etaMin) * (1 + Transcendentals.cos(Math.PI * epoch / totalEpochs)) / 2;
            case STEP:
                return base * Transcendentals.pow(gamma, epoch / stepSize);
            default:
                return base;
        }
    }
}
