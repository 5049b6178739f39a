package io.tiebreak.runtime.backend.cpu;

import static io.tiebreak.runtime.backend.cpu.WorkerPool.ELEMENTWISE_GRAIN;
import static io.tiebreak.runtime.backend.cpu.WorkerPool.MAX_TASKS;

import io.tiebreak.runtime.precision.Precision.Format;
import io.tiebreak.runtime.precision.Transcendentals;

/**
 * Batch norm forward and backward; statistics accumulate in this file's arithmetic type.
 *
 * <p>Written on binary32 arrays; the build generates the fp64 twin DoubleNormKernels from this file (see
 * package-info).
 */
final class FloatNormKernels {
    private FloatNormKernels() {}

    /**
     * Batch norm forward over x [batch, channels, spatial]. Statistics accumulate in this file's type (binary32 for
     * fp16 too); y = x * a + b with a = gamma * invstd, b = beta - mean * a (PyTorch's CPU form), rounded once.
     */
    static void batchNormForward(WorkerPool pool, float[] x, int batch, int channels, int spatial, float[] gamma,
                                 float[] betaParam, float[] runMean, float[] runVar, boolean training,
                                 float momentum, float eps, float[] y, float[] saveMean, float[] saveInvStd,
                                 Format f) {
        int count = batch * spatial;
        int tasks = WorkerPool.tasks((long) batch * channels * spatial, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, channels));
        pool.run(tasks, t -> {
            float[] part = new float[batch];
            for (int c = WorkerPool.start(channels, tasks, t), end = WorkerPool.start(channels, tasks, t + 1); c < end; c++) {
                float mean, invStd;
                if (training) {
                    for (int n = 0; n < batch; n++) part[n] = FloatSumKernels.sum(x, (n * channels + c) * spatial, spatial);
                    mean = FloatSumKernels.sum(part, 0, batch) / count;
                    for (int n = 0; n < batch; n++) part[n] = FloatSumKernels.sumSquaredDeviation(x, (n * channels + c) * spatial, spatial, mean);
                    float sq = FloatSumKernels.sum(part, 0, batch);
                    invStd = (float) (1 / Transcendentals.sqrt(sq / count + eps));
                    saveMean[c] = mean;
                    saveInvStd[c] = invStd;
                    float unbiased = count > 1 ? sq / (count - 1) : Float.NaN;
                    runMean[c] = f.round((1 - momentum) * runMean[c] + momentum * mean);
                    runVar[c] = f.round((1 - momentum) * runVar[c] + momentum * unbiased);
                } else {
                    mean = runMean[c];
                    invStd = (float) (1 / Transcendentals.sqrt(runVar[c] + eps));
                }
                float a = gamma[c] * invStd, b = betaParam[c] - mean * a;
                for (int n = 0; n < batch; n++) {
                    int off = (n * channels + c) * spatial;
                    for (int i = off; i < off + spatial; i++) y[i] = f.round(x[i] * a + b);
                }
            }
        });
    }

    /** Training-mode batch norm backward (PyTorch's CPU formula), rounded once per output. */
    static void batchNormBackward(WorkerPool pool, float[] x, int batch, int channels, int spatial, float[] gamma,
                                  float[] dy, float[] saveMean, float[] saveInvStd, float[] dx, float[] dgamma,
                                  float[] dbeta, Format f) {
        int count = batch * spatial;
        int tasks = WorkerPool.tasks((long) batch * channels * spatial, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, channels));
        pool.run(tasks, t -> {
            float[] part = new float[batch];
            for (int c = WorkerPool.start(channels, tasks, t), end = WorkerPool.start(channels, tasks, t + 1); c < end; c++) {
                float mean = saveMean[c], invStd = saveInvStd[c];
                for (int n = 0; n < batch; n++) part[n] = FloatSumKernels.sum(dy, (n * channels + c) * spatial, spatial);
                float sumDy = FloatSumKernels.sum(part, 0, batch);
                for (int n = 0; n < batch; n++) {
                    part[n] = FloatSumKernels.sumDeviationTimes(x, dy, (n * channels + c) * spatial, spatial, mean);
                }
                float dot = FloatSumKernels.sum(part, 0, batch);
                dgamma[c] = f.round(dot * invStd);
                dbeta[c] = f.round(sumDy);
                float gradMean = sumDy / count;
                float projScale = dot / count * invStd * invStd;
                float gradScale = invStd * gamma[c];
                for (int n = 0; n < batch; n++) {
                    int off = (n * channels + c) * spatial;
                    for (int i = off; i < off + spatial; i++) {
                        dx[i] = f.round((dy[i] - (x[i] - mean) * projScale - gradMean) * gradScale);
                    }
                }
            }
        });
    }
}
