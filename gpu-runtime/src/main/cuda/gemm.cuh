// C = op(A) op(B) with our own tiled kernel (no cuBLAS): row-major operands, optional transposes, one epilogue
// that adds a bias and rounds once (Backend's matmul rules). Every element of C is one thread's sequential chain of
// fused multiply-adds over k in increasing order, starting from 0, so the result depends only on the operands and,
// with split-K, on the split (a function of the shape alone; partials are then added in split order).
#pragma once
#include "formats.cuh"

// Epilogue modes.
#define TB_STORE_ACC 0   // out[i*ldc + j] = acc, unrounded, in the accumulation type (conv's column gradient)
#define TB_STORE_ROWS 1  // out[i*ldc + j] = round(acc + bias), in the storage format
#define TB_STORE_CONV 2  // column j = n*plane + p of row o goes to NCHW out[(n*m + o)*plane + p], rounded with bias
// Bias modes.
#define TB_BIAS_NONE 0
#define TB_BIAS_ROW 1
#define TB_BIAS_COL 2

#define TB_GEMM_THREADS 256

// Out of line: the tile loop below calls it from TM*TN unrolled sites.
template <class M>
TB_DEV_NOINLINE void tb_gemm_store(int mode, int i, int j, typename M::P::A v, int m, void* out, int ldc,
                          const typename M::P::T* bias, int biasMode, int plane) {
    typedef typename M::P P;
    if (mode == TB_STORE_ACC) {
        ((typename P::A*)out)[(long long)i * ldc + j] = v;
        return;
    }
    // The bias is an operand too: mixed rounds it to binary16, as autocast hands conv/linear binary16 copies.
    if (biasMode == TB_BIAS_ROW) v += M::operand(P::load(bias[i]));
    else if (biasMode == TB_BIAS_COL) v += M::operand(P::load(bias[j]));
    typename P::T r = P::store(M::out(v));
    if (mode == TB_STORE_ROWS) ((typename P::T*)out)[(long long)i * ldc + j] = r;
    else ((typename P::T*)out)[((long long)(j / plane) * m + i) * plane + j % plane] = r;
}

// One BM x BN tile of C per block of 256 threads laid out 16 x 16; thread (ty, tx) owns rows ty + 16r and columns
// tx + 16c (coalesced stores, conflict-free shared reads). Block z covers k in [z*kChunk, (z+1)*kChunk); with more
// than one split the block writes raw partial sums to partial[z][i][j] for tb_gemm_reduce.
template <class M, bool TA, bool TB, int BM, int BN, int BK>
TB_DEV void gemm_tile(int m, int n, int k, const typename M::P::T* a, int lda, const typename M::P::T* b, int ldb,
                      int kChunk, int mode, void* out, int ldc, const typename M::P::T* bias, int biasMode,
                      int plane, typename M::P::A* partial) {
    typedef typename M::P P;
    typedef typename P::A A;
    const int TX = 16, TY = 16, TM = BM / TY, TN = BN / TX;
    __shared__ A As[BK][BM + 1];  // +1: staging stores along k do not all hit one bank
    __shared__ A Bs[BK][BN + 1];
    const int tid = threadIdx.x, tx = tid % TX, ty = tid / TX;
    const int i0 = blockIdx.y * BM, j0 = blockIdx.x * BN;
    const int kBegin = blockIdx.z * kChunk, kEnd = tb_min(k, kBegin + kChunk);
    A acc[TM][TN];  // fully unrolled loops below keep it in registers
#pragma unroll
    for (int r = 0; r < TM; r++)
#pragma unroll
        for (int c = 0; c < TN; c++) acc[r][c] = 0;

    for (int kt = kBegin; kt < kEnd; kt += BK) {
        // Stage the tiles, each thread loading along the operand's contiguous dimension.
#pragma unroll
        for (int e = tid; e < BM * BK; e += TB_GEMM_THREADS) {
            int ii = TA ? e % BM : e / BK, kk = TA ? e / BM : e % BK;
            int gi = i0 + ii, gk = kt + kk;
            A v = 0;
            if (gi < m && gk < kEnd) v = M::operand(P::load(a[TA ? (long long)gk * lda + gi : (long long)gi * lda + gk]));
            As[kk][ii] = v;
        }
#pragma unroll
        for (int e = tid; e < BK * BN; e += TB_GEMM_THREADS) {
            int jj = TB ? e / BK : e % BN, kk = TB ? e % BK : e / BN;
            int gj = j0 + jj, gk = kt + kk;
            A v = 0;
            if (gj < n && gk < kEnd) v = M::operand(P::load(b[TB ? (long long)gj * ldb + gk : (long long)gk * ldb + gj]));
            Bs[kk][jj] = v;
        }
        __syncthreads();
        const int kn = tb_min(BK, kEnd - kt);
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            if (kk < kn) {
                A ar[TM], br[TN];
#pragma unroll
                for (int r = 0; r < TM; r++) ar[r] = As[kk][ty + TY * r];
#pragma unroll
                for (int c = 0; c < TN; c++) br[c] = Bs[kk][tx + TX * c];
#pragma unroll
                for (int r = 0; r < TM; r++)
#pragma unroll
                    for (int c = 0; c < TN; c++) acc[r][c] = tb_fma(ar[r], br[c], acc[r][c]);
            }
        }
        __syncthreads();
    }

#pragma unroll
    for (int r = 0; r < TM; r++) {
        int i = i0 + ty + TY * r;
        if (i >= m) continue;
#pragma unroll
        for (int c = 0; c < TN; c++) {
            int j = j0 + tx + TX * c;
            if (j >= n) continue;
            if (partial != 0) partial[((long long)blockIdx.z * m + i) * n + j] = acc[r][c];
            else tb_gemm_store<M>(mode, i, j, acc[r][c], m, out, ldc, bias, biasMode, plane);
        }
    }
}

// Adds the split-K partials of element idx = i*n + j in split order, then applies the epilogue.
template <class M>
TB_DEV void gemm_reduce(long long idx, int m, int n, int splits, const typename M::P::A* partial, int mode,
                        void* out, int ldc, const typename M::P::T* bias, int biasMode, int plane) {
    typename M::P::A v = partial[idx];
    for (int s = 1; s < splits; s++) v += partial[(long long)s * m * n + idx];
    tb_gemm_store<M>(mode, (int)(idx / n), (int)(idx % n), v, m, out, ldc, bias, biasMode, plane);
}

// Tile shapes: s = 64x64 (k step 16, 4x4 per thread), l = 128x128 (k step 8, 8x8 per thread).
#define TB_GEMM_KERNEL(op, TA, TB, size, BM, BN, BK, sfx, M)                                                      \
    extern "C" __global__ void __launch_bounds__(TB_GEMM_THREADS) tb_gemm_##op##_##size##_##sfx(                \
        int m, int n, int k, const M::P::T* a, int lda, const M::P::T* b, int ldb, int kChunk, int mode,         \
        void* out, int ldc, const M::P::T* bias, int biasMode, int plane, M::P::A* partial) {                   \
        gemm_tile<M, TA, TB, BM, BN, BK>(m, n, k, a, lda, b, ldb, kChunk, mode, out, ldc, bias, biasMode, plane, \
                                         partial);                                                               \
    }                                                                                                            \
    TB_EXPORT(tb_gemm_##op##_##size##_##sfx)
#define TB_GEMM_KERNELS(sfx, M)                                                                                   \
    TB_GEMM_KERNEL(nn, false, false, s, 64, 64, 16, sfx, M)                                                      \
    TB_GEMM_KERNEL(nt, false, true, s, 64, 64, 16, sfx, M)                                                       \
    TB_GEMM_KERNEL(tn, true, false, s, 64, 64, 16, sfx, M)                                                       \
    TB_GEMM_KERNEL(nn, false, false, l, 128, 128, 8, sfx, M)                                                     \
    TB_GEMM_KERNEL(nt, false, true, l, 128, 128, 8, sfx, M)                                                      \
    TB_GEMM_KERNEL(tn, true, false, l, 128, 128, 8, sfx, M)                                                      \
    extern "C" __global__ void tb_gemm_reduce_##sfx(long long n, int rows, int cols, int splits,                 \
                                                    const M::P::A* partial, int mode, void* out, int ldc,       \
                                                    const M::P::T* bias, int biasMode, int plane) {             \
        TB_FOR(i, n) gemm_reduce<M>(i, rows, cols, splits, partial, mode, out, ldc, bias, biasMode, plane);      \
    }                                                                                                            \
    TB_EXPORT(tb_gemm_reduce_##sfx)
TB_MATMUL_RULES(TB_GEMM_KERNELS)
