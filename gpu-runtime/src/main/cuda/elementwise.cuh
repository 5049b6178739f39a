// Elementwise kernels, as FloatElementwiseKernels: fill, conversion between precisions, ReLU with alpha, add, scale,
// non-finite counts and the partial sums of norms.
#pragma once
#include "formats.cuh"

// ---- fill and convert ------------------------------------------------------------------------------------------
// fill takes the stored bit pattern (the host rounds the value once), so one kernel per width serves every format;
// 16-bit patterns travel in a 32-bit parameter.

extern "C" __global__ void tb_fill_u16(long long n, unsigned short* t, unsigned bits) {
    TB_FOR(i, n) t[i] = (unsigned short)bits;
}
TB_EXPORT(tb_fill_u16)
extern "C" __global__ void tb_fill_u32(long long n, unsigned* t, unsigned bits) { TB_FOR(i, n) t[i] = bits; }
TB_EXPORT(tb_fill_u32)
extern "C" __global__ void tb_fill_u64(long long n, unsigned long long* t, unsigned long long bits) {
    TB_FOR(i, n) t[i] = bits;
}
TB_EXPORT(tb_fill_u64)

// dst = src rounded once to dst's format (CpuBackend.convert: widen to binary64 exactly, round once).
TB_DEV double tb_widen(unsigned short v) { return tb_half_value(v); }
TB_DEV double tb_widen(float v) { return v; }
TB_DEV double tb_widen(double v) { return v; }
TB_DEV void tb_narrow(double v, unsigned short* out) { *out = tb_half_bits((float)tb_round_half(v)); }
TB_DEV void tb_narrow(double v, float* out) { *out = (float)v; }
TB_DEV void tb_narrow(double v, double* out) { *out = v; }

#define TB_CONVERT(from, S, to, D)                                                                                \
    extern "C" __global__ void tb_convert_##from##_##to(long long n, const S::T* src, D::T* dst) {               \
        TB_FOR(i, n) tb_narrow(tb_widen(src[i]), &dst[i]);                                                       \
    }                                                                                                            \
    TB_EXPORT(tb_convert_##from##_##to)
#define TB_CONVERT_FROM(from, S) TB_CONVERT(from, S, f16, F16) TB_CONVERT(from, S, f32, F32) TB_CONVERT(from, S, f64, F64)
TB_VALUE_FORMATS(TB_CONVERT_FROM)

// ---- ReLU ------------------------------------------------------------------------------------------------------

// y = x < 0 ? 0 : x, as FloatElementwiseKernels.relu and PyTorch's CPU relu: NaN and -0 pass through.
template <class P>
TB_DEV void relu_forward(long long i, const typename P::T* x, typename P::T* y) {
    typename P::A v = P::load(x[i]);
    y[i] = v < 0 ? P::store(0) : x[i];
}

// dx = dy where x > 0 (or NaN), 0 where x < 0, round(alpha * dy) where x == 0 (exactly 0 when alpha is 0).
template <class P>
TB_DEV void relu_backward(long long i, const typename P::T* x, const typename P::T* dy, typename P::A alpha,
                          typename P::T* dx) {
    typename P::A v = P::load(x[i]);
    if (v < 0) dx[i] = P::store(0);
    else if (v == 0) dx[i] = alpha == 0 ? P::store(0) : P::store(alpha * P::load(dy[i]));
    else dx[i] = dy[i];
}

// ---- arithmetic ------------------------------------------------------------------------------------------------

template <class P>
TB_DEV void add(long long i, const typename P::T* a, const typename P::T* b, typename P::T* out) {
    out[i] = P::store(P::load(a[i]) + P::load(b[i]));
}

template <class P>
TB_DEV void scale(long long i, typename P::T* t, typename P::A factor) {
    t[i] = P::store(P::load(t[i]) * factor);
}

// ---- counts and norms ------------------------------------------------------------------------------------------

// *count += how many values are NaN or infinite (integer sums, so the block order does not matter).
template <class P>
TB_DEV void count_nonfinite(long long n, const typename P::T* t, unsigned long long* count) {
    unsigned long long mine = 0;
    TB_FOR(i, n) if (!tb_isfinite(P::load(t[i]))) mine++;
    unsigned long long total = tb_block_count(mine);
    if (threadIdx.x == 0 && total != 0) atomicAdd(count, total);
}

// NaN-propagating maximum: once NaN, stays NaN (FloatElementwiseKernels.norms: `if (v > linf || v != v) linf = v`).
TB_DEV double tb_max_nan(double a, double b) {
    if (a != a) return a;
    if (b != b) return b;
    return b > a ? b : a;
}

// Block b writes partial[3b..3b+2] = {sum |t|, sum t^2, max |t|} over its grid-stride share, in binary64. The host
// launches a fixed grid and adds the partials in block order, so the result depends only on the tensor.
template <class P>
TB_DEV void norm_partials(long long n, const typename P::T* t, double* partial) {
    __shared__ double s1[TB_BLOCK], s2[TB_BLOCK], sm[TB_BLOCK];
    double l1 = 0, l2 = 0, linf = 0;
    TB_FOR(i, n) {
        double v = fabs((double)P::load(t[i]));
        l1 += v;
        l2 += v * v;
        linf = tb_max_nan(linf, v);
    }
    s1[threadIdx.x] = l1;
    s2[threadIdx.x] = l2;
    sm[threadIdx.x] = linf;
    __syncthreads();
    for (int s = TB_BLOCK / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) {
            s1[threadIdx.x] += s1[threadIdx.x + s];
            s2[threadIdx.x] += s2[threadIdx.x + s];
            sm[threadIdx.x] = tb_max_nan(sm[threadIdx.x], sm[threadIdx.x + s]);
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        partial[3 * blockIdx.x] = s1[0];
        partial[3 * blockIdx.x + 1] = s2[0];
        partial[3 * blockIdx.x + 2] = sm[0];
    }
}

#define TB_ELEMENTWISE_KERNELS(sfx, P)                                                                            \
    extern "C" __global__ void tb_relu_forward_##sfx(long long n, const P::T* x, P::T* y) {                      \
        TB_FOR(i, n) relu_forward<P>(i, x, y);                                                                   \
    }                                                                                                            \
    TB_EXPORT(tb_relu_forward_##sfx)                                                                             \
    extern "C" __global__ void tb_relu_backward_##sfx(long long n, const P::T* x, const P::T* dy, P::A alpha,   \
                                                      P::T* dx) {                                               \
        TB_FOR(i, n) relu_backward<P>(i, x, dy, alpha, dx);                                                      \
    }                                                                                                            \
    TB_EXPORT(tb_relu_backward_##sfx)                                                                            \
    extern "C" __global__ void tb_add_##sfx(long long n, const P::T* a, const P::T* b, P::T* out) {              \
        TB_FOR(i, n) add<P>(i, a, b, out);                                                                       \
    }                                                                                                            \
    TB_EXPORT(tb_add_##sfx)                                                                                      \
    extern "C" __global__ void tb_scale_##sfx(long long n, P::T* t, P::A factor) { TB_FOR(i, n) scale<P>(i, t, factor); } \
    TB_EXPORT(tb_scale_##sfx)                                                                                    \
    extern "C" __global__ void tb_count_nonfinite_##sfx(long long n, const P::T* t, unsigned long long* count) { \
        count_nonfinite<P>(n, t, count);                                                                         \
    }                                                                                                            \
    TB_EXPORT(tb_count_nonfinite_##sfx)                                                                          \
    extern "C" __global__ void tb_norm_partials_##sfx(long long n, const P::T* t, double* partial) {             \
        norm_partials<P>(n, t, partial);                                                                         \
    }                                                                                                            \
    TB_EXPORT(tb_norm_partials_##sfx)
TB_VALUE_FORMATS(TB_ELEMENTWISE_KERNELS)
