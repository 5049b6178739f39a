// Optimizer updates, as FloatOptimizerKernels.sgdUpdate/adamUpdate: PyTorch's single-tensor op sequence, each op's output
// rounded once to the value format; scalars stay in the arithmetic type.
#pragma once
#include "formats.cuh"

template <class P>
TB_DEV void sgd_update(long long i, typename P::T* p, const typename P::T* g, typename P::T* buf,
                       typename P::A lr, typename P::A momentum, typename P::A keep, typename P::A weightDecay,
                       int nesterov, int firstStep) {
    typedef typename P::A A;
    A pv = P::load(p[i]);
    A d = weightDecay != 0 ? P::round(P::load(g[i]) + weightDecay * pv) : P::load(g[i]);
    if (buf != 0) {
        A b = firstStep ? d : P::round(P::round(momentum * P::load(buf[i])) + keep * d);
        buf[i] = P::store(b);
        d = nesterov ? P::round(d + momentum * b) : b;
    }
    p[i] = P::store(pv - lr * d);
}

template <class P>
TB_DEV void adam_update(long long i, typename P::T* p, const typename P::T* g, typename P::T* m, typename P::T* v,
                        typename P::A stepSize, typename P::A oneMinusBeta1, typename P::A beta2,
                        typename P::A oneMinusBeta2, typename P::A bc2Sqrt, typename P::A eps,
                        typename P::A weightDecay) {
    typedef typename P::A A;
    A pv = P::load(p[i]);
    A gi = weightDecay != 0 ? P::round(P::load(g[i]) + weightDecay * pv) : P::load(g[i]);
    A mOld = P::load(m[i]);
    A mi = P::round(mOld + oneMinusBeta1 * (gi - mOld));
    A vi = P::round(P::round(beta2 * P::load(v[i])) + oneMinusBeta2 * gi * gi);
    m[i] = P::store(mi);
    v[i] = P::store(vi);
    A denom = P::round(P::round(P::round((A)sqrt((double)vi)) / bc2Sqrt) + eps);
    p[i] = P::store(pv - stepSize * (mi / denom));
}

#define TB_OPTIM_KERNELS(sfx, P)                                                                                  \
    extern "C" __global__ void tb_sgd_update_##sfx(long long n, P::T* p, const P::T* g, P::T* buf, P::A lr,      \
                                                   P::A momentum, P::A keep, P::A weightDecay, int nesterov,    \
                                                   int firstStep) {                                             \
        TB_FOR(i, n) sgd_update<P>(i, p, g, buf, lr, momentum, keep, weightDecay, nesterov, firstStep);          \
    }                                                                                                            \
    TB_EXPORT(tb_sgd_update_##sfx)                                                                               \
    extern "C" __global__ void tb_adam_update_##sfx(long long n, P::T* p, const P::T* g, P::T* m, P::T* v,       \
                                                    P::A stepSize, P::A oneMinusBeta1, P::A beta2,              \
                                                    P::A oneMinusBeta2, P::A bc2Sqrt, P::A eps,                 \
                                                    P::A weightDecay) {                                         \
        TB_FOR(i, n) adam_update<P>(i, p, g, m, v, stepSize, oneMinusBeta1, beta2, oneMinusBeta2, bc2Sqrt, eps,  \
                                    weightDecay);                                                                \
    }                                                                                                            \
    TB_EXPORT(tb_adam_update_##sfx)
TB_VALUE_FORMATS(TB_OPTIM_KERNELS)
