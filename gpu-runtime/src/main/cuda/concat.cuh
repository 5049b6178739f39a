// Channel concatenation, as CpuBackend.concatForward/concatBackward: per image, a's values then b's. Pure copies
// (no rounding), one thread per value of y; perA and perB are the values per image of a and b.
#pragma once
#include "formats.cuh"

// y[i] = a or b at the same place of the same image.
template <class P>
TB_DEV void concat_forward(long long i, long long perA, long long perB, const typename P::T* a,
                           const typename P::T* b, typename P::T* y) {
    long long per = perA + perB, image = i / per, r = i - image * per;
    y[i] = r < perA ? a[image * perA + r] : b[image * perB + (r - perA)];
}

// da, db = the two parts of dy.
template <class P>
TB_DEV void concat_backward(long long i, long long perA, long long perB, const typename P::T* dy,
                            typename P::T* da, typename P::T* db) {
    long long per = perA + perB, image = i / per, r = i - image * per;
    if (r < perA) da[image * perA + r] = dy[i];
    else db[image * perB + (r - perA)] = dy[i];
}

#define TB_CONCAT_KERNELS(sfx, P)                                                                                 \
    extern "C" __global__ void tb_concat_forward_##sfx(long long n, long long perA, long long perB,              \
                                                       const P::T* a, const P::T* b, P::T* y) {                  \
        TB_FOR(i, n) concat_forward<P>(i, perA, perB, a, b, y);                                                  \
    }                                                                                                            \
    TB_EXPORT(tb_concat_forward_##sfx)                                                                           \
    extern "C" __global__ void tb_concat_backward_##sfx(long long n, long long perA, long long perB,             \
                                                        const P::T* dy, P::T* da, P::T* db) {                    \
        TB_FOR(i, n) concat_backward<P>(i, perA, perB, dy, da, db);                                              \
    }                                                                                                            \
    TB_EXPORT(tb_concat_backward_##sfx)
TB_VALUE_FORMATS(TB_CONCAT_KERNELS)
