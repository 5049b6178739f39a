// Convolution and linear around the GEMM (gemm.cuh), as FloatMatmulKernels: im2col for the whole batch, col2im,
// the transposed output gradient and the bias gradients. The column matrix is [C*kh*kw][N*Ho*Wo] with row
// r = (c*kh + ky)*kw + kx and column j = n*Ho*Wo + oy*Wo + ox.
#pragma once
#include "reduce.cuh"

// col[r][j] = x[n, c, oy*sh - ph + ky, ox*sw - pw + kx], 0 in the padding (values copied as stored; the GEMM
// rounds mixed operands when it loads them).
template <class P>
TB_DEV void im2col(long long i, const typename P::T* x, int channels, int h, int w, int kh, int kw, int sh, int sw,
                   int ph, int pw, int ho, int wo, long long np, typename P::T* col) {
    int r = (int)(i / np);
    long long j = i % np;
    int p = ho * wo;
    long long n = j / p;
    int oy = (int)(j % p) / wo, ox = (int)(j % p) % wo;
    int kk = kh * kw, c = r / kk, ky = r % kk / kw, kx = r % kw;
    int iy = oy * sh - ph + ky, ix = ox * sw - pw + kx;
    col[i] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[((n * channels + c) * h + iy) * w + ix] : P::store(0);
}

// dx[n, c, iy, ix] = the sum of the column-gradient entries im2col copied from there, added in the CPU's order
// (ky, then kx), rounded once.
template <class M>
TB_DEV void col2im(long long i, const typename M::P::A* dcol, int channels, int h, int w, int kh, int kw, int sh,
                   int sw, int ph, int pw, int ho, int wo, long long np, typename M::P::T* dx) {
    typedef typename M::P P;
    int ix = (int)(i % w), iy = (int)(i / w % h), c = (int)(i / ((long long)w * h) % channels);
    long long n = i / ((long long)w * h * channels);
    typename P::A acc = 0;
    for (int ky = 0; ky < kh; ky++) {
        int ty = iy + ph - ky;
        if (ty < 0 || ty % sh != 0 || ty / sh >= ho) continue;
        for (int kx = 0; kx < kw; kx++) {
            int tx = ix + pw - kx;
            if (tx < 0 || tx % sw != 0 || tx / sw >= wo) continue;
            int r = (c * kh + ky) * kw + kx;
            acc += dcol[(long long)r * np + n * ho * wo + (ty / sh) * wo + tx / sw];
        }
    }
    dx[i] = P::store(M::out(acc));
}

// dyt[o][n*P + p] = dy[n, o, p], rounded to the matmul operand format (the GEMMs' layout for the gradients).
template <class M>
TB_DEV void conv_dy_rows(long long i, const typename M::P::T* dy, int outChannels, int plane, long long np,
                         typename M::P::T* dyt) {
    typedef typename M::P P;
    int o = (int)(i / np);
    long long j = i % np, n = j / plane;
    dyt[i] = P::store(M::operand(P::load(dy[(n * outChannels + o) * plane + j % plane])));
}

// dst[i] = src[i] rounded once to the matmul output format (conv bias gradient after its tree sum).
template <class M>
TB_DEV void round_store(long long i, const typename M::P::A* src, typename M::P::T* dst) {
    dst[i] = M::P::store(M::out(src[i]));
}

// Linear bias gradient: the sum over the batch of dy[n][j] in batch order.
template <class M>
TB_DEV typename M::P::A linear_bias_sum(long long j, const typename M::P::T* dy, int batch, int out) {
    typedef typename M::P P;
    typename P::A acc = 0;
    for (int n = 0; n < batch; n++) acc += M::operand(P::load(dy[(long long)n * out + j]));
    return acc;
}

#define TB_CONV_KERNELS(sfx, M)                                                                                   \
    extern "C" __global__ void tb_col2im_##sfx(long long n, const M::P::A* dcol, int channels, int h, int w,     \
                                               int kh, int kw, int sh, int sw, int ph, int pw, int ho, int wo,  \
                                               long long np, M::P::T* dx) {                                     \
        TB_FOR(i, n) col2im<M>(i, dcol, channels, h, w, kh, kw, sh, sw, ph, pw, ho, wo, np, dx);                 \
    }                                                                                                            \
    TB_EXPORT(tb_col2im_##sfx)                                                                                   \
    extern "C" __global__ void tb_conv_dy_rows_##sfx(long long n, const M::P::T* dy, int outChannels, int plane, \
                                                     long long np, M::P::T* dyt) {                              \
        TB_FOR(i, n) conv_dy_rows<M>(i, dy, outChannels, plane, np, dyt);                                        \
    }                                                                                                            \
    TB_EXPORT(tb_conv_dy_rows_##sfx)                                                                             \
    extern "C" __global__ void tb_round_store_##sfx(long long n, const M::P::A* src, M::P::T* dst) {             \
        TB_FOR(i, n) round_store<M>(i, src, dst);                                                                \
    }                                                                                                            \
    TB_EXPORT(tb_round_store_##sfx)                                                                              \
    extern "C" __global__ void tb_linear_bias_grad_##sfx(long long n, const M::P::T* dy, int batch, int out,     \
                                                         M::P::T* db) {                                         \
        TB_FOR(j, n) db[j] = M::P::store(M::out(linear_bias_sum<M>(j, dy, batch, out)));                         \
    }                                                                                                            \
    TB_EXPORT(tb_linear_bias_grad_##sfx)
TB_MATMUL_RULES(TB_CONV_KERNELS)

// A micro-batch's linear bias gradient (docs/design.md, "Data parallelism"): the sum unrounded, in the accumulation
// type. Only where rounding would change it (binary16 results); fp32 and fp64 partials are their rounded sums.
#define TB_BIAS_PARTIAL_KERNEL(sfx, M)                                                                            \
    extern "C" __global__ void tb_linear_bias_partial_##sfx(long long n, const M::P::T* dy, int batch, int out,  \
                                                            M::P::A* db) {                                      \
        TB_FOR(j, n) db[j] = linear_bias_sum<M>(j, dy, batch, out);                                              \
    }                                                                                                            \
    TB_EXPORT(tb_linear_bias_partial_##sfx)
TB_BIAS_PARTIAL_KERNEL(f16, MM_F16)
TB_BIAS_PARTIAL_KERNEL(mixed, MM_MIXED)

#define TB_IM2COL_KERNEL(sfx, P)                                                                                  \
    extern "C" __global__ void tb_im2col_##sfx(long long n, const P::T* x, int channels, int h, int w, int kh,   \
                                               int kw, int sh, int sw, int ph, int pw, int ho, int wo,          \
                                               long long np, P::T* col) {                                       \
        TB_FOR(i, n) im2col<P>(i, x, channels, h, w, kh, kw, sh, sw, ph, pw, ho, wo, np, col);                   \
    }                                                                                                            \
    TB_EXPORT(tb_im2col_##sfx)
TB_VALUE_FORMATS(TB_IM2COL_KERNEL)
