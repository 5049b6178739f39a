package io.tiebreak.runtime.backend.cpu;

import io.tiebreak.runtime.precision.Precision.Format;
import io.tiebreak.runtime.precision.Transcendentals;

/**
 * Softmax cross-entropy and its gradient.
 *
 * <p>Written on binary32 arrays; the build generates the fp64 twin DoubleLossKernels from this file (see
 * package-info).
 */
final class FloatLossKernels {
    private FloatLossKernels() {}

    /**
     * The sum of the rows' softmax cross-entropies of logits [batch, classes], added in row order (unrounded: the
     * caller forms the mean, Precision.mean); writes dlogits = scale * (softmax - onehot) / divisor when dlogits is
     * not null (divisor: the whole batch's size, of which these rows may be a micro-batch); correct[0] receives how
     * many rows have their first maximum at the label.
     */
    static float softmaxCrossEntropySum(float[] logits, int batch, int classes, int[] labels, float scale,
                                        int divisor, float[] dlogits, int[] correct, Format f) {
        float total = 0;
        int right = 0;
        for (int n = 0; n < batch; n++) {
            int row = n * classes, label = labels[n];
            float max = Float.NEGATIVE_INFINITY;
            int arg = 0;
            for (int j = 0; j < classes; j++) {
                float v = logits[row + j];
                if (v > max || v != v) { max = v; arg = j; if (v != v) break; }
            }
            if (arg == label) right++;
            float sumExp = 0;
            for (int j = 0; j < classes; j++) sumExp += (float) Transcendentals.exp(logits[row + j] - max);
            float logSum = (float) Transcendentals.log(sumExp);
            total += logSum - (logits[row + label] - max);
            if (dlogits != null) {
                float factor = scale / divisor;
                for (int j = 0; j < classes; j++) {
                    float prob = (float) Transcendentals.exp(logits[row + j] - max) / sumExp;
                    dlogits[row + j] = f.round((prob - (j == label ? 1 : 0)) * factor);
                }
            }
        }
        correct[0] = right;
        return total;
    }
}
