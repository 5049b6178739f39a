package io.tiebreak.runtime.optim;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.nn.Parameter;
import java.util.List;

/**
 * Dynamic loss scaling for mixed precision, as common AMP practice (torch.cuda.amp.GradScaler): start at 2^16;
 * on a step whose gradients hold inf/NaN, skip the step and halve the scale; after 2000 clean steps, double it.
 */
public final class LossScaler {
    public static final double INITIAL = 65536, GROWTH = 2, BACKOFF = 0.5;
    public static final int GROWTH_INTERVAL = 2000;

    private double scale;
    private int cleanSteps;

    public LossScaler(double scale, int cleanSteps) {
        this.scale = scale;
        this.cleanSteps = cleanSteps;
    }

    public static LossScaler initial() { return new LossScaler(INITIAL, 0); }

    public double scale() { return scale; }
    public int cleanSteps() { return cleanSteps; }

    /**
     * After a backward of scale * loss: returns false (skip the step, scale halved) when any gradient is not finite;
     * otherwise divides the gradients by the scale, counts the clean step and returns true.
     */
    public boolean unscale(Backend backend, List<Parameter> trainable) {
        boolean clean = finite(backend, trainable);
        if (clean) divide(backend, trainable, scale);
        return record(clean);
    }

    /** Whether every gradient is finite: the step may be taken. */
    public static boolean finite(Backend backend, List<Parameter> trainable) {
        for (Parameter p : trainable) if (backend.countNonFinite(p.grad()) > 0) return false;
        return true;
    }

    /** Divides the gradients by the step's scale, as {@link #unscale} does on a clean step. */
    public static void divide(Backend backend, List<Parameter> trainable, double scale) {
        for (Parameter p : trainable) backend.scale(p.grad(), 1 / scale);
    }

    /**
     * Counts a step whose gradients were (clean) or were not finite, as {@link #unscale} does: the scale halves on
     * a step with inf/NaN and doubles after GROWTH_INTERVAL clean ones. Returns clean. For runs on several devices,
     * each divides its own gradients ({@link #finite}, {@link #divide}) and the run records the step once.
     */
    public boolean record(boolean clean) {
        if (!clean) {
            scale *= BACKOFF;
            cleanSteps = 0;
            return false;
        }
        if (++cleanSteps == GROWTH_INTERVAL) {
            scale *= GROWTH;
            cleanSteps = 0;
        }
        return true;
    }
}
