package io.tiebreak.runtime.backend.cpu;

import static io.tiebreak.runtime.backend.cpu.WorkerPool.ELEMENTWISE_GRAIN;
import static io.tiebreak.runtime.backend.cpu.WorkerPool.MAX_TASKS;

import io.tiebreak.runtime.precision.Precision.Format;
import io.tiebreak.runtime.precision.Transcendentals;

/**
 * torch.optim.SGD and torch.optim.Adam single-tensor steps, each PyTorch op rounded once.
 *
 * <p>Written on binary32 arrays; the build generates the fp64 twin DoubleOptimizerKernels from this file (see
 * package-info).
 */
final class FloatOptimizerKernels {
    private FloatOptimizerKernels() {}

    /** torch.optim.SGD's single-tensor step, each PyTorch op rounded once to f; keep is 1 - dampening. */
    static void sgdUpdate(WorkerPool pool, float[] p, float[] g, float[] buf, int n, float lr, float momentum,
                          float keep, float weightDecay, boolean nesterov, boolean firstStep, Format f) {
        int tasks = WorkerPool.tasks(n, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            for (int i = WorkerPool.start(n, tasks, t), end = WorkerPool.start(n, tasks, t + 1); i < end; i++) {
                float d = weightDecay != 0 ? f.round(g[i] + weightDecay * p[i]) : g[i];
                if (buf != null) {
                    float b = firstStep ? d : f.round(f.round(momentum * buf[i]) + keep * d);
                    buf[i] = b;
                    d = nesterov ? f.round(d + momentum * b) : b;
                }
                p[i] = f.round(p[i] - lr * d);
            }
        });
    }

    /**
     * torch.optim.Adam's single-tensor step: exp_avg.lerp_(g, 1-beta1); exp_avg_sq.mul_(beta2).addcmul_(g, g,
     * 1-beta2); denom = exp_avg_sq.sqrt() / bc2sqrt + eps; p.addcdiv_(exp_avg, denom, -stepSize).
     */
    static void adamUpdate(WorkerPool pool, float[] p, float[] g, float[] m, float[] v, int n, float stepSize,
                           float oneMinusBeta1, float beta2, float oneMinusBeta2, float bc2Sqrt, float eps,
                           float weightDecay, Format f) {
        int tasks = WorkerPool.tasks(n, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            for (int i = WorkerPool.start(n, tasks, t), end = WorkerPool.start(n, tasks, t + 1); i < end; i++) {
                float gi = weightDecay != 0 ? f.round(g[i] + weightDecay * p[i]) : g[i];
                float mi = f.round(m[i] + oneMinusBeta1 * (gi - m[i]));
                float vi = f.round(f.round(beta2 * v[i]) + oneMinusBeta2 * gi * gi);
                m[i] = mi;
                v[i] = vi;
                float denom = f.round(f.round(f.round((float) Transcendentals.sqrt(vi)) / bc2Sqrt) + eps);
                p[i] = f.round(p[i] - stepSize * (mi / denom));
            }
        });
    }
}
