// Batch norm, as FloatNormKernels.batchNormForward/Backward. The per-image plane sums come from the tree kernels in
// reduce.cuh, laid out part[c][n]; the per-channel kernels below sum them over the batch in the CPU's tree order,
// then elementwise kernels apply y = x*a + b (PyTorch's CPU form) or the gradient formula, rounded once.
// Statistics (saveMean, saveInvStd, coefficients) are in the accumulation type. The micro-batch kernels
// (docs/design.md, "Data parallelism") stop at a micro-batch's sums (tb_bn_total) and finish from the batch's totals
// with the same per-channel functions as the whole-batch kernels.
#pragma once
#include "reduce.cuh"

// ---- per channel: the one copy of each formula -----------------------------------------------------------------

// The inverse std and the running statistics (momentum update, unbiased variance) from the sum of squared
// deviations over count values; returns the inverse std.
template <class P>
TB_DEV typename P::A bn_variance(long long c, int count, typename P::A sq, typename P::A mean, typename P::T* runMean,
                                 typename P::T* runVar, typename P::A momentum, typename P::A eps) {
    typedef typename P::A A;
    A invStd = (A)(1.0 / sqrt((double)(sq / (A)count + eps)));
    A unbiased = count > 1 ? sq / (A)(count - 1) : tb_nan(A());
    runMean[c] = P::store(((A)1 - momentum) * P::load(runMean[c]) + momentum * mean);
    runVar[c] = P::store(((A)1 - momentum) * P::load(runVar[c]) + momentum * unbiased);
    return invStd;
}

// The coefficients a = gamma*invStd, b = beta - mean*a in coef[2c], coef[2c+1].
template <class P>
TB_DEV void bn_coefficients(long long c, typename P::A mean, typename P::A invStd, const typename P::T* gamma,
                            const typename P::T* beta, typename P::A* coef) {
    typename P::A a = P::load(gamma[c]) * invStd;
    coef[2 * c] = a;
    coef[2 * c + 1] = P::load(beta[c]) - mean * a;
}

// Backward: dgamma and dbeta from the batch's sums of dy and of (x - mean)*dy.
template <class P>
TB_DEV void bn_parameter_grads(long long c, typename P::A sumDy, typename P::A dot, typename P::A invStd,
                               typename P::T* dgamma, typename P::T* dbeta) {
    dgamma[c] = P::store(dot * invStd);
    dbeta[c] = P::store(sumDy);
}

// Backward: coef[4c..4c+3] = {mean, projScale, gradMean, gradScale} for bn_backward_apply.
template <class P>
TB_DEV void bn_backward_coefficients(long long c, int count, typename P::A sumDy, typename P::A dot,
                                     const typename P::T* gamma, typename P::A mean, typename P::A invStd,
                                     typename P::A* coef) {
    typedef typename P::A A;
    coef[4 * c] = mean;
    coef[4 * c + 1] = dot / (A)count * invStd * invStd;
    coef[4 * c + 2] = sumDy / (A)count;
    coef[4 * c + 3] = invStd * P::load(gamma[c]);
}

// ---- whole batch ---------------------------------------------------------------------------------------------

// saveMean[c] = (sum over the batch of part[c][n]) / count.
template <class P>
TB_DEV void bn_mean(long long c, int batch, int count, const typename P::A* part, typename P::A* saveMean) {
    saveMean[c] = tb_tree_sum<typename P::Acc>(part + c * batch, 0, batch) / (typename P::A)count;
}

// From part[c][n] = per-image sums of squared deviations: the inverse std, running statistics and coefficients.
template <class P>
TB_DEV void bn_train_stats(long long c, int batch, int count, const typename P::A* part,
                           const typename P::A* saveMean, const typename P::T* gamma, const typename P::T* beta,
                           typename P::T* runMean, typename P::T* runVar, typename P::A momentum, typename P::A eps,
                           typename P::A* saveInvStd, typename P::A* coef) {
    typename P::A sq = tb_tree_sum<typename P::Acc>(part + c * batch, 0, batch);
    typename P::A invStd = bn_variance<P>(c, count, sq, saveMean[c], runMean, runVar, momentum, eps);
    saveInvStd[c] = invStd;
    bn_coefficients<P>(c, saveMean[c], invStd, gamma, beta, coef);
}

// Evaluation mode: the coefficients from the running statistics.
template <class P>
TB_DEV void bn_eval_coef(long long c, const typename P::T* gamma, const typename P::T* beta,
                         const typename P::T* runMean, const typename P::T* runVar, typename P::A eps,
                         typename P::A* coef) {
    typedef typename P::A A;
    A invStd = (A)(1.0 / sqrt((double)(P::load(runVar[c]) + eps)));
    bn_coefficients<P>(c, P::load(runMean[c]), invStd, gamma, beta, coef);
}

template <class P>
TB_DEV void bn_apply(long long i, const typename P::T* x, int channels, int spatial, const typename P::A* coef,
                     typename P::T* y) {
    long long c = i / spatial % channels;
    y[i] = P::store(P::load(x[i]) * coef[2 * c] + coef[2 * c + 1]);
}

// Backward, per channel: from the per-image sums of dy (partDy) and of (x - mean)*dy (partDot): dgamma, dbeta
// and the coefficients.
template <class P>
TB_DEV void bn_backward_coef(long long c, int batch, int count, const typename P::A* partDy,
                             const typename P::A* partDot, const typename P::T* gamma,
                             const typename P::A* saveMean, const typename P::A* saveInvStd, typename P::T* dgamma,
                             typename P::T* dbeta, typename P::A* coef) {
    typedef typename P::A A;
    A sumDy = tb_tree_sum<typename P::Acc>(partDy + c * batch, 0, batch);
    A dot = tb_tree_sum<typename P::Acc>(partDot + c * batch, 0, batch);
    bn_parameter_grads<P>(c, sumDy, dot, saveInvStd[c], dgamma, dbeta);
    bn_backward_coefficients<P>(c, count, sumDy, dot, gamma, saveMean[c], saveInvStd[c], coef);
}

template <class P>
TB_DEV void bn_backward_apply(long long i, const typename P::T* x, const typename P::T* dy, int channels,
                              int spatial, const typename P::A* coef, typename P::T* dx) {
    long long c = i / spatial % channels;
    const typename P::A* k = coef + 4 * c;
    dx[i] = P::store((P::load(dy[i]) - (P::load(x[i]) - k[0]) * k[1] - k[2]) * k[3]);
}

// ---- over micro-batches: one micro-batch's sums, the rest from the batch's totals ---------------------------------

// out[c] = the sum over this micro-batch of part[c][n] (F: the accumulation format, F32 or F64).
template <class F>
TB_DEV void bn_total(long long c, int batch, const typename F::T* part, typename F::T* out) {
    out[c] = tb_tree_sum<F>(part + c * batch, 0, batch);
}

#define TB_BN_KERNELS(sfx, P)                                                                                     \
    extern "C" __global__ void tb_bn_mean_##sfx(long long n, int batch, int count, const P::A* part,             \
                                                P::A* saveMean) {                                               \
        TB_FOR(c, n) bn_mean<P>(c, batch, count, part, saveMean);                                                \
    }                                                                                                            \
    TB_EXPORT(tb_bn_mean_##sfx)                                                                                  \
    extern "C" __global__ void tb_bn_train_stats_##sfx(long long n, int batch, int count, const P::A* part,      \
                                                       const P::A* saveMean, const P::T* gamma,                 \
                                                       const P::T* beta, P::T* runMean, P::T* runVar,           \
                                                       P::A momentum, P::A eps, P::A* saveInvStd, P::A* coef) { \
        TB_FOR(c, n) bn_train_stats<P>(c, batch, count, part, saveMean, gamma, beta, runMean, runVar, momentum,  \
                                       eps, saveInvStd, coef);                                                   \
    }                                                                                                            \
    TB_EXPORT(tb_bn_train_stats_##sfx)                                                                           \
    extern "C" __global__ void tb_bn_eval_coef_##sfx(long long n, const P::T* gamma, const P::T* beta,           \
                                                     const P::T* runMean, const P::T* runVar, P::A eps,         \
                                                     P::A* coef) {                                              \
        TB_FOR(c, n) bn_eval_coef<P>(c, gamma, beta, runMean, runVar, eps, coef);                                \
    }                                                                                                            \
    TB_EXPORT(tb_bn_eval_coef_##sfx)                                                                             \
    extern "C" __global__ void tb_bn_apply_##sfx(long long n, const P::T* x, int channels, int spatial,          \
                                                 const P::A* coef, P::T* y) {                                   \
        TB_FOR(i, n) bn_apply<P>(i, x, channels, spatial, coef, y);                                              \
    }                                                                                                            \
    TB_EXPORT(tb_bn_apply_##sfx)                                                                                 \
    extern "C" __global__ void tb_bn_backward_coef_##sfx(long long n, int batch, int count, const P::A* partDy,  \
                                                         const P::A* partDot, const P::T* gamma,                \
                                                         const P::A* saveMean, const P::A* saveInvStd,          \
                                                         P::T* dgamma, P::T* dbeta, P::A* coef) {               \
        TB_FOR(c, n) bn_backward_coef<P>(c, batch, count, partDy, partDot, gamma, saveMean, saveInvStd, dgamma,  \
                                         dbeta, coef);                                                           \
    }                                                                                                            \
    TB_EXPORT(tb_bn_backward_coef_##sfx)                                                                         \
    extern "C" __global__ void tb_bn_backward_apply_##sfx(long long n, const P::T* x, const P::T* dy,            \
                                                          int channels, int spatial, const P::A* coef,          \
                                                          P::T* dx) {                                           \
        TB_FOR(i, n) bn_backward_apply<P>(i, x, dy, channels, spatial, coef, dx);                                \
    }                                                                                                            \
    TB_EXPORT(tb_bn_backward_apply_##sfx)                                                                        \
    /* Micro-batches: the running statistics and saveInvStd from the batch's squared deviations. */              \
    extern "C" __global__ void tb_bn_variance_##sfx(long long n, int count, const P::A* squares,                 \
                                                    const P::A* saveMean, P::T* runMean, P::T* runVar,          \
                                                    P::A momentum, P::A eps, P::A* saveInvStd) {                \
        TB_FOR(c, n) saveInvStd[c] = bn_variance<P>(c, count, squares[c], saveMean[c], runMean, runVar,          \
                                                    momentum, eps);                                              \
    }                                                                                                            \
    TB_EXPORT(tb_bn_variance_##sfx)                                                                              \
    extern "C" __global__ void tb_bn_coef_##sfx(long long n, const P::A* saveMean, const P::A* saveInvStd,       \
                                                const P::T* gamma, const P::T* beta, P::A* coef) {              \
        TB_FOR(c, n) bn_coefficients<P>(c, saveMean[c], saveInvStd[c], gamma, beta, coef);                       \
    }                                                                                                            \
    TB_EXPORT(tb_bn_coef_##sfx)                                                                                  \
    /* sums[c] = sum of dy, sums[n + c] = sum of (x - mean)*dy over the batch (n channels). */                    \
    extern "C" __global__ void tb_bn_param_grads_##sfx(long long n, const P::A* sums, const P::A* saveInvStd,    \
                                                       P::T* dgamma, P::T* dbeta) {                             \
        TB_FOR(c, n) bn_parameter_grads<P>(c, sums[c], sums[n + c], saveInvStd[c], dgamma, dbeta);               \
    }                                                                                                            \
    TB_EXPORT(tb_bn_param_grads_##sfx)                                                                           \
    extern "C" __global__ void tb_bn_backward_coef_totals_##sfx(long long n, int count, const P::A* sums,        \
                                                                const P::T* gamma, const P::A* saveMean,        \
                                                                const P::A* saveInvStd, P::A* coef) {           \
        TB_FOR(c, n) bn_backward_coefficients<P>(c, count, sums[c], sums[n + c], gamma, saveMean[c],             \
                                                 saveInvStd[c], coef);                                           \
    }                                                                                                            \
    TB_EXPORT(tb_bn_backward_coef_totals_##sfx)
TB_VALUE_FORMATS(TB_BN_KERNELS)

// Accumulation-type kernels: a micro-batch's per-channel sum of part[c][n], and the mean from a total.
#define TB_BN_ACC_KERNELS(sfx, F)                                                                                 \
    extern "C" __global__ void tb_bn_total_##sfx(long long n, int batch, const F::T* part, F::T* out) {          \
        TB_FOR(c, n) bn_total<F>(c, batch, part, out);                                                           \
    }                                                                                                            \
    TB_EXPORT(tb_bn_total_##sfx)                                                                                 \
    extern "C" __global__ void tb_bn_divide_##sfx(long long n, int count, const F::T* sum, F::T* mean) {         \
        TB_FOR(c, n) mean[c] = sum[c] / (F::T)count;                                                             \
    }                                                                                                            \
    TB_EXPORT(tb_bn_divide_##sfx)
TB_BN_ACC_KERNELS(f32, F32)
TB_BN_ACC_KERNELS(f64, F64)
