// Pooling, as FloatPoolKernels: max pooling with every Jacobian policy of docs/design.md in exact and composite forms,
// average pooling (padding counted in the divisor) and adaptive average pooling. Planes are the N*C images of an
// NCHW tensor. Backward kernels gather: each input element adds its windows' contributions in the CPU's window
// order (oy, then ox), so overlapping windows give the CPU's bits without atomics.
#pragma once
#include "formats.cuh"

// Policy codes; CudaBackend passes the same numbers.
#define TB_POOL_FIRST 0
#define TB_POOL_LAST 1
#define TB_POOL_MIN_NORM 2
#define TB_POOL_ALL 3
#define TB_POOL_BETA 4

TB_DEV float tb_neg_inf(float) { return __uint_as_float(0xff800000u); }
TB_DEV double tb_neg_inf(double) { return __longlong_as_double((long long)0xfff0000000000000ULL); }

// Window (oy, ox) clipped to the plane: rows [y0, y1), columns [x0, x1).
struct PoolWindow {
    int y0, y1, x0, x1;
};

TB_DEV PoolWindow tb_pool_window(int oy, int ox, int h, int w, int kernel, int stride, int pad) {
    PoolWindow win;
    win.y0 = tb_max(0, oy * stride - pad);
    win.y1 = tb_min(h, oy * stride - pad + kernel);
    win.x0 = tb_max(0, ox * stride - pad);
    win.x1 = tb_min(w, ox * stride - pad + kernel);
    return win;
}

// Output rows whose (unclipped) window holds input row iy: [*lo, *hi], possibly empty.
TB_DEV void tb_covering(int iy, int kernel, int stride, int pad, int ho, int* lo, int* hi) {
    int num = iy + pad - kernel + 1;
    *lo = num <= 0 ? 0 : (num + stride - 1) / stride;
    *hi = tb_min((iy + pad) / stride, ho - 1);
}

// A window's maximum m and tie set T = {i : x_i == m}, or the NaN positions when it holds a NaN (NaN is the
// maximum, as PyTorch); k = |T|, first and last are plane indices of T's ends in row-major window order.
template <class A>
struct MaxScan {
    A m;
    int k, first, last;
    bool nan;
    TB_DEV bool holds(A v) const { return nan ? v != v : v == m; }
};

template <class P>
TB_DEV MaxScan<typename P::A> tb_max_scan(const typename P::T* plane, int w, PoolWindow win) {
    typedef typename P::A A;
    MaxScan<A> s;
    s.m = tb_neg_inf(A());
    s.k = 0;
    s.first = s.last = -1;
    s.nan = false;
    for (int iy = win.y0; iy < win.y1; iy++) {
        for (int ix = win.x0; ix < win.x1; ix++) {
            int idx = iy * w + ix;
            A v = P::load(plane[idx]);
            if (v != v) {
                if (!s.nan) {
                    s.nan = true;
                    s.m = v;
                    s.k = 0;
                    s.first = idx;
                }
                s.k++;
                s.last = idx;
            } else if (!s.nan) {
                if (v > s.m) {
                    s.m = v;
                    s.k = 1;
                    s.first = s.last = idx;
                } else if (v == s.m) {
                    if (s.k == 0) s.first = idx;
                    s.k++;
                    s.last = idx;
                }
            }
        }
    }
    return s;
}

// One window's backward for the element at plane index idx (value v), upstream gradient g: exact forms add to
// *exact; the composite form adds the min-norm branch (shares round(round(B*g)/k)) to *minBranch and the first-index
// branch round((1-B)*g) to *firstBranch. Mirrors FloatPoolKernels.TieRule.
template <class P>
TB_DEV void tb_window_grad(int kind, bool composite, const MaxScan<typename P::A>& s, int idx,
                           typename P::A v, typename P::A g, typename P::A beta, typename P::A oneMinusBeta,
                           typename P::A* exact, typename P::A* minBranch, typename P::A* firstBranch) {
    typedef typename P::A A;
    bool inT = s.holds(v);
    switch (kind) {
        case TB_POOL_FIRST: if (idx == s.first) *exact += g; break;
        case TB_POOL_LAST: if (idx == s.last) *exact += g; break;
        case TB_POOL_ALL: if (inT) *exact += g; break;
        case TB_POOL_MIN_NORM: if (inT) *exact += g / (A)s.k; break;
        default:
            if (composite) {
                if (inT) *minBranch += P::round(P::round(beta * g) / (A)s.k);
                if (idx == s.first) *firstBranch += P::round(oneMinusBeta * g);
            } else if (inT) {
                A share = beta * g / (A)s.k;
                *exact += idx == s.first ? share + oneMinusBeta * g : share;
            }
    }
}

// The stored gradient once every window has contributed.
template <class P>
TB_DEV typename P::T tb_pool_grad_out(bool composite, typename P::A exact, typename P::A minBranch,
                                      typename P::A firstBranch) {
    return composite ? P::store(P::round(minBranch) + P::round(firstBranch)) : P::store(exact);
}

// ---- max pooling -----------------------------------------------------------------------------------------------

// One thread per output window. y = m, or round(round(B*m) + round((1-B)*m)) for the composite form; *ties counts
// windows with k >= 2.
template <class P>
TB_DEV void maxpool_forward(long long n, const typename P::T* x, int h, int w, int ho, int wo, int kernel,
                            int stride, int pad, int composite, typename P::A beta, typename P::A oneMinusBeta,
                            typename P::T* y, unsigned long long* ties) {
    unsigned long long tied = 0;
    TB_FOR(o, n) {
        long long plane = o / ((long long)ho * wo);
        int oy = (int)(o / wo % ho), ox = (int)(o % wo);
        const typename P::T* in = x + plane * h * w;
        MaxScan<typename P::A> s = tb_max_scan<P>(in, w, tb_pool_window(oy, ox, h, w, kernel, stride, pad));
        if (s.k >= 2) tied++;
        y[o] = composite ? P::store(P::round(P::round(beta * s.m) + P::round(oneMinusBeta * s.m))) : in[s.first];
    }
    unsigned long long total = tb_block_count(tied);
    if (threadIdx.x == 0 && total != 0) atomicAdd(ties, total);
}

// One thread per input element: adds the contributions of every window holding it, in window order.
template <class P>
TB_DEV void maxpool_backward_gather(long long i, const typename P::T* x, const typename P::T* dy, int h, int w,
                                    int ho, int wo, int kernel, int stride, int pad, int kind, int composite,
                                    typename P::A beta, typename P::A oneMinusBeta, typename P::T* dx) {
    typedef typename P::A A;
    long long plane = i / ((long long)h * w);
    int idx = (int)(i % ((long long)h * w)), iy = idx / w, ix = idx % w;
    const typename P::T* in = x + plane * h * w;
    const typename P::T* g = dy + plane * ho * wo;
    A v = P::load(in[idx]);
    A exact = 0, minBranch = 0, firstBranch = 0;
    int oy0, oy1, ox0, ox1;
    tb_covering(iy, kernel, stride, pad, ho, &oy0, &oy1);
    tb_covering(ix, kernel, stride, pad, wo, &ox0, &ox1);
    for (int oy = oy0; oy <= oy1; oy++) {
        for (int ox = ox0; ox <= ox1; ox++) {
            MaxScan<A> s = tb_max_scan<P>(in, w, tb_pool_window(oy, ox, h, w, kernel, stride, pad));
            tb_window_grad<P>(kind, composite, s, idx, v, P::load(g[oy * wo + ox]), beta, oneMinusBeta, &exact,
                              &minBranch, &firstBranch);
        }
    }
    dx[i] = tb_pool_grad_out<P>(composite, exact, minBranch, firstBranch);
}

// One fused backward per window, for windows that cannot overlap (stride >= kernel): the thread writes every
// element of its window. Elements outside all windows must be zeroed beforehand.
template <class P>
TB_DEV void maxpool_backward_window(long long o, const typename P::T* x, const typename P::T* dy, int h, int w,
                                    int ho, int wo, int kernel, int stride, int pad, int kind, int composite,
                                    typename P::A beta, typename P::A oneMinusBeta, typename P::T* dx) {
    typedef typename P::A A;
    long long plane = o / ((long long)ho * wo);
    int oy = (int)(o / wo % ho), ox = (int)(o % wo);
    const typename P::T* in = x + plane * h * w;
    typename P::T* out = dx + plane * h * w;
    PoolWindow win = tb_pool_window(oy, ox, h, w, kernel, stride, pad);
    MaxScan<A> s = tb_max_scan<P>(in, w, win);
    A g = P::load(dy[o]);
    for (int iy = win.y0; iy < win.y1; iy++) {
        for (int ix = win.x0; ix < win.x1; ix++) {
            int idx = iy * w + ix;
            A exact = 0, minBranch = 0, firstBranch = 0;
            tb_window_grad<P>(kind, composite, s, idx, P::load(in[idx]), g, beta, oneMinusBeta, &exact, &minBranch,
                              &firstBranch);
            out[idx] = tb_pool_grad_out<P>(composite, exact, minBranch, firstBranch);
        }
    }
}

// ---- average pooling -------------------------------------------------------------------------------------------

template <class P>
TB_DEV void avgpool_forward(long long o, const typename P::T* x, int h, int w, int ho, int wo, int kernel,
                            int stride, int pad, typename P::T* y) {
    typedef typename P::A A;
    long long plane = o / ((long long)ho * wo);
    int oy = (int)(o / wo % ho), ox = (int)(o % wo);
    const typename P::T* in = x + plane * h * w;
    PoolWindow win = tb_pool_window(oy, ox, h, w, kernel, stride, pad);
    A acc = 0;
    for (int iy = win.y0; iy < win.y1; iy++)
        for (int ix = win.x0; ix < win.x1; ix++) acc += P::load(in[iy * w + ix]);
    y[o] = P::store(acc / (A)(kernel * kernel));
}

template <class P>
TB_DEV void avgpool_backward(long long i, const typename P::T* dy, int h, int w, int ho, int wo, int kernel,
                             int stride, int pad, typename P::T* dx) {
    typedef typename P::A A;
    long long plane = i / ((long long)h * w);
    int idx = (int)(i % ((long long)h * w)), iy = idx / w, ix = idx % w;
    const typename P::T* g = dy + plane * ho * wo;
    A divisor = (A)(kernel * kernel), acc = 0;
    int oy0, oy1, ox0, ox1;
    tb_covering(iy, kernel, stride, pad, ho, &oy0, &oy1);
    tb_covering(ix, kernel, stride, pad, wo, &ox0, &ox1);
    for (int oy = oy0; oy <= oy1; oy++)
        for (int ox = ox0; ox <= ox1; ox++) acc += P::load(g[oy * wo + ox]) / divisor;
    dx[i] = P::store(acc);
}

// Adaptive windows (PyTorch's bounds): rows floor(oy*h/ho) .. ceil((oy+1)*h/ho).
TB_DEV int tb_adaptive_start(int o, int in, int out) { return o * in / out; }
TB_DEV int tb_adaptive_end(int o, int in, int out) { return ((o + 1) * in + out - 1) / out; }

template <class P>
TB_DEV void adaptive_avgpool_forward(long long o, const typename P::T* x, int h, int w, int ho, int wo,
                                     typename P::T* y) {
    typedef typename P::A A;
    long long plane = o / ((long long)ho * wo);
    int oy = (int)(o / wo % ho), ox = (int)(o % wo);
    const typename P::T* in = x + plane * h * w;
    int y0 = tb_adaptive_start(oy, h, ho), y1 = tb_adaptive_end(oy, h, ho);
    int x0 = tb_adaptive_start(ox, w, wo), x1 = tb_adaptive_end(ox, w, wo);
    A acc = 0;
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++) acc += P::load(in[iy * w + ix]);
    y[o] = P::store(acc / (A)((y1 - y0) * (x1 - x0)));
}

template <class P>
TB_DEV void adaptive_avgpool_backward(long long i, const typename P::T* dy, int h, int w, int ho, int wo,
                                      typename P::T* dx) {
    typedef typename P::A A;
    long long plane = i / ((long long)h * w);
    int idx = (int)(i % ((long long)h * w)), iy = idx / w, ix = idx % w;
    const typename P::T* g = dy + plane * ho * wo;
    A acc = 0;
    // Candidate windows (a superset, each checked): floor(iy*ho/h) - 1 .. floor((iy+1)*ho/h).
    int oy0 = tb_max(0, iy * ho / h - 1), oy1 = tb_min(ho - 1, (iy + 1) * ho / h);
    int ox0 = tb_max(0, ix * wo / w - 1), ox1 = tb_min(wo - 1, (ix + 1) * wo / w);
    for (int oy = oy0; oy <= oy1; oy++) {
        int y0 = tb_adaptive_start(oy, h, ho), y1 = tb_adaptive_end(oy, h, ho);
        if (iy < y0 || iy >= y1) continue;
        for (int ox = ox0; ox <= ox1; ox++) {
            int x0 = tb_adaptive_start(ox, w, wo), x1 = tb_adaptive_end(ox, w, wo);
            if (ix < x0 || ix >= x1) continue;
            acc += P::load(g[oy * wo + ox]) / (A)((y1 - y0) * (x1 - x0));
        }
    }
    dx[i] = P::store(acc);
}

#define TB_POOL_KERNELS(sfx, P)                                                                                   \
    extern "C" __global__ void tb_maxpool_forward_##sfx(long long n, const P::T* x, int h, int w, int ho, int wo, \
                                                        int kernel, int stride, int pad, int composite,         \
                                                        P::A beta, P::A oneMinusBeta, P::T* y,                  \
                                                        unsigned long long* ties) {                             \
        maxpool_forward<P>(n, x, h, w, ho, wo, kernel, stride, pad, composite, beta, oneMinusBeta, y, ties);     \
    }                                                                                                            \
    TB_EXPORT(tb_maxpool_forward_##sfx)                                                                          \
    extern "C" __global__ void tb_maxpool_backward_gather_##sfx(                                                \
        long long n, const P::T* x, const P::T* dy, int h, int w, int ho, int wo, int kernel, int stride,       \
        int pad, int kind, int composite, P::A beta, P::A oneMinusBeta, P::T* dx) {                             \
        TB_FOR(i, n) maxpool_backward_gather<P>(i, x, dy, h, w, ho, wo, kernel, stride, pad, kind, composite,    \
                                                beta, oneMinusBeta, dx);                                        \
    }                                                                                                            \
    TB_EXPORT(tb_maxpool_backward_gather_##sfx)                                                                  \
    extern "C" __global__ void tb_maxpool_backward_window_##sfx(                                                \
        long long n, const P::T* x, const P::T* dy, int h, int w, int ho, int wo, int kernel, int stride,       \
        int pad, int kind, int composite, P::A beta, P::A oneMinusBeta, P::T* dx) {                             \
        TB_FOR(o, n) maxpool_backward_window<P>(o, x, dy, h, w, ho, wo, kernel, stride, pad, kind, composite,    \
                                                beta, oneMinusBeta, dx);                                        \
    }                                                                                                            \
    TB_EXPORT(tb_maxpool_backward_window_##sfx)                                                                  \
    extern "C" __global__ void tb_avgpool_forward_##sfx(long long n, const P::T* x, int h, int w, int ho, int wo, \
                                                        int kernel, int stride, int pad, P::T* y) {             \
        TB_FOR(o, n) avgpool_forward<P>(o, x, h, w, ho, wo, kernel, stride, pad, y);                             \
    }                                                                                                            \
    TB_EXPORT(tb_avgpool_forward_##sfx)                                                                          \
    extern "C" __global__ void tb_avgpool_backward_##sfx(long long n, const P::T* dy, int h, int w, int ho,      \
                                                         int wo, int kernel, int stride, int pad, P::T* dx) {   \
        TB_FOR(i, n) avgpool_backward<P>(i, dy, h, w, ho, wo, kernel, stride, pad, dx);                          \
    }                                                                                                            \
    TB_EXPORT(tb_avgpool_backward_##sfx)                                                                         \
    extern "C" __global__ void tb_adaptive_avgpool_forward_##sfx(long long n, const P::T* x, int h, int w,       \
                                                                 int ho, int wo, P::T* y) {                     \
        TB_FOR(o, n) adaptive_avgpool_forward<P>(o, x, h, w, ho, wo, y);                                         \
    }                                                                                                            \
    TB_EXPORT(tb_adaptive_avgpool_forward_##sfx)                                                                 \
    extern "C" __global__ void tb_adaptive_avgpool_backward_##sfx(long long n, const P::T* dy, int h, int w,     \
                                                                  int ho, int wo, P::T* dx) {                   \
        TB_FOR(i, n) adaptive_avgpool_backward<P>(i, dy, h, w, ho, wo, dx);                                      \
    }                                                                                                            \
    TB_EXPORT(tb_adaptive_avgpool_backward_##sfx)
TB_VALUE_FORMATS(TB_POOL_KERNELS)
