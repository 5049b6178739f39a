// Softmax cross-entropy, as FloatLossKernels.softmaxCrossEntropySum: one thread per row, classes in order. The host
// adds the per-row losses in row order (they are returned anyway); the gradient is scaled by scale / batch, batch being
// the whole batch's size when these rows are one of its micro-batches.
#pragma once
#include "formats.cuh"

template <class P>
TB_DEV void softmax_xent_row(long long r, int classes, const typename P::T* logits, const int* labels,
                             typename P::A scale, int batch, int withGrad, typename P::T* dlogits,
                             typename P::A* rowLoss, int* rowCorrect) {
    typedef typename P::A A;
    const typename P::T* row = logits + r * classes;
    int label = labels[r];
    A max = tb_neg_inf(A());
    int arg = 0;
    for (int j = 0; j < classes; j++) {
        A v = P::load(row[j]);
        if (v > max || v != v) {
            max = v;
            arg = j;
            if (v != v) break;
        }
    }
    rowCorrect[r] = arg == label;
    A sumExp = 0;
    for (int j = 0; j < classes; j++) sumExp += (A)exp((double)(P::load(row[j]) - max));
    A logSum = (A)log((double)sumExp);
    rowLoss[r] = logSum - (P::load(row[label]) - max);
    if (withGrad) {
        A factor = scale / (A)batch;
        typename P::T* d = dlogits + r * classes;
        for (int j = 0; j < classes; j++) {
            A prob = (A)exp((double)(P::load(row[j]) - max)) / sumExp;
            d[j] = P::store((prob - (A)(j == label ? 1 : 0)) * factor);
        }
    }
}

#define TB_LOSS_KERNELS(sfx, P)                                                                                   \
    extern "C" __global__ void tb_softmax_xent_##sfx(long long n, int classes, const P::T* logits,               \
                                                     const int* labels, P::A scale, int batch, int withGrad,    \
                                                     P::T* dlogits, P::A* rowLoss, int* rowCorrect) {           \
        TB_FOR(r, n) softmax_xent_row<P>(r, classes, logits, labels, scale, batch, withGrad, dlogits, rowLoss,   \
                                         rowCorrect);                                                            \
    }                                                                                                            \
    TB_EXPORT(tb_softmax_xent_##sfx)
TB_VALUE_FORMATS(TB_LOSS_KERNELS)
