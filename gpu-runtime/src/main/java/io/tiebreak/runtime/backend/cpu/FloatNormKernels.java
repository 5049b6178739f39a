package io.tiebreak.runtime.backend.cpu;

import static io.tiebreak.runtime.backend.cpu.WorkerPool.ELEMENTWISE_GRAIN;
import static io.tiebreak.runtime.backend.cpu.WorkerPool.MAX_TASKS;

import io.tiebreak.runtime.precision.Precision.Format;
import io.tiebreak.runtime.precision.Transcendentals;

/**
 * Batch norm forward and backward; statistics accumulate in this file's arithmetic type. Each sum over the batch is
 * per-sample plane sums, then their sum over the samples ({@link FloatSumKernels}); the micro-batch entry points
 * (docs/design.md, "Data parallelism") stop at those sums and finish from the whole batch's totals, with the same
 * per-channel formulas as the whole-batch kernels.
 *
 * <p>Written on binary32 arrays; the build generates the fp64 twin DoubleNormKernels from this file (see
 * package-info).
 */
final class FloatNormKernels {
    private FloatNormKernels() {}

    /** Tasks over channels for work on x [batch, channels, spatial]: a function of the shape only. */
    private static int tasks(int batch, int channels, int spatial) {
        return WorkerPool.tasks((long) batch * channels * spatial, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, channels));
    }

    /**
     * Batch norm forward over x [batch, channels, spatial]. Statistics accumulate in this file's type (binary32 for
     * fp16 too); y = x * a + b with a = gamma * invstd, b = beta - mean * a (PyTorch's CPU form), rounded once.
     */
    static void batchNormForward(WorkerPool pool, float[] x, int batch, int channels, int spatial, float[] gamma,
                                 float[] betaParam, float[] runMean, float[] runVar, boolean training,
                                 float momentum, float eps, float[] y, float[] saveMean, float[] saveInvStd,
                                 Format f) {
        int count = batch * spatial;
        int tasks = tasks(batch, channels, spatial);
        pool.run(tasks, t -> {
            float[] part = new float[batch];
            for (int c = WorkerPool.start(channels, tasks, t), end = WorkerPool.start(channels, tasks, t + 1); c < end; c++) {
                float mean, invStd;
                if (training) {
                    mean = channelSum(x, batch, channels, spatial, c, part) / count;
                    float sq = channelSquaredDeviation(x, batch, channels, spatial, c, mean, part);
                    invStd = inverseStd(sq, count, eps);
                    saveMean[c] = mean;
                    saveInvStd[c] = invStd;
                    updateRunning(runMean, runVar, c, mean, sq, count, momentum, f);
                } else {
                    mean = runMean[c];
                    invStd = (float) (1 / Transcendentals.sqrt(runVar[c] + eps));
                }
                normalizeChannel(x, batch, channels, spatial, c, gamma[c], betaParam[c], mean, invStd, y, f);
            }
        });
    }

    /** Training-mode batch norm backward (PyTorch's CPU formula), rounded once per output. */
    static void batchNormBackward(WorkerPool pool, float[] x, int batch, int channels, int spatial, float[] gamma,
                                  float[] dy, float[] saveMean, float[] saveInvStd, float[] dx, float[] dgamma,
                                  float[] dbeta, Format f) {
        int count = batch * spatial;
        int tasks = tasks(batch, channels, spatial);
        pool.run(tasks, t -> {
            float[] part = new float[batch];
            for (int c = WorkerPool.start(channels, tasks, t), end = WorkerPool.start(channels, tasks, t + 1); c < end; c++) {
                float mean = saveMean[c], invStd = saveInvStd[c];
                float sumDy = channelSum(dy, batch, channels, spatial, c, part);
                float dot = channelDeviationTimes(x, dy, batch, channels, spatial, c, mean, part);
                dgamma[c] = f.round(dot * invStd);
                dbeta[c] = f.round(sumDy);
                inputGradientChannel(x, dy, batch, channels, spatial, c, gamma[c], mean, invStd, sumDy, dot, count, dx, f);
            }
        });
    }

    // ---- over micro-batches: the sums of one micro-batch, the rest from the batch's totals ----------------------

    /** out[c] = the sum over this micro-batch of x[., c, .] (mean == null), or of (x - mean[c])^2. */
    static void batchNormSums(WorkerPool pool, float[] x, int batch, int channels, int spatial, float[] mean,
                              float[] out) {
        int tasks = tasks(batch, channels, spatial);
        pool.run(tasks, t -> {
            float[] part = new float[batch];
            for (int c = WorkerPool.start(channels, tasks, t), end = WorkerPool.start(channels, tasks, t + 1); c < end; c++) {
                out[c] = mean == null ? channelSum(x, batch, channels, spatial, c, part)
                        : channelSquaredDeviation(x, batch, channels, spatial, c, mean[c], part);
            }
        });
    }

    /** mean = sum / count, per channel. */
    static void batchNormMean(float[] sum, int channels, int count, float[] mean) {
        for (int c = 0; c < channels; c++) mean[c] = sum[c] / count;
    }

    /** invStd and the running statistics from the batch's squared deviations, as batchNormForward. */
    static void batchNormVariance(float[] squares, int channels, int count, float momentum, float eps, float[] mean,
                                  float[] runMean, float[] runVar, float[] invStd, Format f) {
        for (int c = 0; c < channels; c++) {
            invStd[c] = inverseStd(squares[c], count, eps);
            updateRunning(runMean, runVar, c, mean[c], squares[c], count, momentum, f);
        }
    }

    /** y = x * a + b from the batch's statistics, as batchNormForward. */
    static void batchNormNormalize(WorkerPool pool, float[] x, int batch, int channels, int spatial, float[] gamma,
                                   float[] betaParam, float[] mean, float[] invStd, float[] y, Format f) {
        int tasks = tasks(batch, channels, spatial);
        pool.run(tasks, t -> {
            for (int c = WorkerPool.start(channels, tasks, t), end = WorkerPool.start(channels, tasks, t + 1); c < end; c++) {
                normalizeChannel(x, batch, channels, spatial, c, gamma[c], betaParam[c], mean[c], invStd[c], y, f);
            }
        });
    }

    /** sums[c] = the sum of dy[., c, .], sums[channels + c] = the sum of (x - mean[c]) * dy, over this micro-batch. */
    static void batchNormBackwardSums(WorkerPool pool, float[] x, float[] dy, int batch, int channels, int spatial,
                                      float[] mean, float[] sums) {
        int tasks = tasks(batch, channels, spatial);
        pool.run(tasks, t -> {
            float[] part = new float[batch];
            for (int c = WorkerPool.start(channels, tasks, t), end = WorkerPool.start(channels, tasks, t + 1); c < end; c++) {
                sums[c] = channelSum(dy, batch, channels, spatial, c, part);
                sums[channels + c] = channelDeviationTimes(x, dy, batch, channels, spatial, c, mean[c], part);
            }
        });
    }

    /** dgamma and dbeta from the batch's backward sums, as batchNormBackward. */
    static void batchNormParameterGradients(float[] sums, int channels, float[] invStd, float[] dgamma,
                                            float[] dbeta, Format f) {
        for (int c = 0; c < channels; c++) {
            dgamma[c] = f.round(sums[channels + c] * invStd[c]);
            dbeta[c] = f.round(sums[c]);
        }
    }

    /** dx of this micro-batch from the batch's backward sums, as batchNormBackward. */
    static void batchNormInputGradient(WorkerPool pool, float[] x, float[] dy, int batch, int channels, int spatial,
                                       float[] gamma, float[] mean, float[] invStd, float[] sums, int count,
                                       float[] dx, Format f) {
        int tasks = tasks(batch, channels, spatial);
        pool.run(tasks, t -> {
            for (int c = WorkerPool.start(channels, tasks, t), end = WorkerPool.start(channels, tasks, t + 1); c < end; c++) {
                inputGradientChannel(x, dy, batch, channels, spatial, c, gamma[c], mean[c], invStd[c], sums[c],
                        sums[channels + c], count, dx, f);
            }
        });
    }

    // ---- per channel: the one copy of each formula ------------------------------------------------------------

    /** The sum of x[., c, .] over the batch: per-sample plane sums into part, then their sum. */
    private static float channelSum(float[] x, int batch, int channels, int spatial, int c, float[] part) {
        for (int n = 0; n < batch; n++) part[n] = FloatSumKernels.sum(x, (n * channels + c) * spatial, spatial);
        return FloatSumKernels.sum(part, 0, batch);
    }

    /** The sum of (x[., c, .] - mean)^2 over the batch, in channelSum's order. */
    private static float channelSquaredDeviation(float[] x, int batch, int channels, int spatial, int c, float mean,
                                                 float[] part) {
        for (int n = 0; n < batch; n++) {
            part[n] = FloatSumKernels.sumSquaredDeviation(x, (n * channels + c) * spatial, spatial, mean);
        }
        return FloatSumKernels.sum(part, 0, batch);
    }

    /** The sum of (x[., c, .] - mean) * dy[., c, .] over the batch, in channelSum's order. */
    private static float channelDeviationTimes(float[] x, float[] dy, int batch, int channels, int spatial, int c,
                                               float mean, float[] part) {
        for (int n = 0; n < batch; n++) {
            part[n] = FloatSumKernels.sumDeviationTimes(x, dy, (n * channels + c) * spatial, spatial, mean);
        }
        return FloatSumKernels.sum(part, 0, batch);
    }

    private static float inverseStd(float squares, int count, float eps) {
        return (float) (1 / Transcendentals.sqrt(squares / count + eps));
    }

    /** Running mean and (unbiased) variance with momentum, each rounded once. */
    private static void updateRunning(float[] runMean, float[] runVar, int c, float mean, float squares, int count,
                                      float momentum, Format f) {
        float unbiased = count > 1 ? squares / (count - 1) : Float.NaN;
        runMean[c] = f.round((1 - momentum) * runMean[c] + momentum * mean);
        runVar[c] = f.round((1 - momentum) * runVar[c] + momentum * unbiased);
    }

    private static void normalizeChannel(float[] x, int batch, int channels, int spatial, int c, float gamma,
                                         float beta, float mean, float invStd, float[] y, Format f) {
        float a = gamma * invStd, b = beta - mean * a;
        for (int n = 0; n < batch; n++) {
            int off = (n * channels + c) * spatial;
            for (int i = off; i < off + spatial; i++) y[i] = f.round(x[i] * a + b);
        }
    }

    private static void inputGradientChannel(float[] x, float[] dy, int batch, int channels, int spatial, int c,
                                             float gamma, float mean, float invStd, float sumDy, float dot, int count,
                                             float[] dx, Format f) {
        float gradMean = sumDy / count;
        float projScale = dot / count * invStd * invStd;
        float gradScale = invStd * gamma;
        for (int n = 0; n < batch; n++) {
            int off = (n * channels + c) * spatial;
            for (int i = off; i < off + spatial; i++) {
                dx[i] = f.round((dy[i] - (x[i] - mean) * projScale - gradMean) * gradScale);
            }
        }
    }
}
