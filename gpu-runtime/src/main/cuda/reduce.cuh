// Fixed-order sums that reproduce FloatSumKernels.sum, sumSquaredDeviation and sumDeviationTimes bit for bit: the same
// split points (halves rounded down to a multiple of 8 while more than 1024 values remain), the same lanes at the
// leaves and the same combination order. Long sums run in two passes: one thread per leaf (tb_leaf_* kernels), then
// one thread per sum combining the leaves along the same tree (tb_tree_combine).
#pragma once
#include "formats.cuh"

#define TB_LEAF_MAX 1024

TB_DEV int tb_tree_split(int n) { return (n >> 1) & ~7; }

// Number of leaves of the tree over n values.
TB_DEV_REC int tb_tree_leaves(int n) {
    if (n <= TB_LEAF_MAX) return 1;
    int h = tb_tree_split(n);
    return tb_tree_leaves(h) + tb_tree_leaves(n - h);
}

// Offset and length of leaf l (left to right) of the tree over n values.
TB_DEV_REC void tb_tree_leaf(int n, int l, int* off, int* len) {
    int base = 0;
    while (n > TB_LEAF_MAX) {
        int h = tb_tree_split(n);
        int left = tb_tree_leaves(h);
        if (l < left) {
            n = h;
        } else {
            base += h;
            l -= left;
            n -= h;
        }
    }
    *off = base;
    *len = n;
}

// The tree's sum given its leaf sums in order.
template <class A>
TB_DEV_REC A tb_tree_combine(int n, const A* leaf) {
    if (n <= TB_LEAF_MAX) return leaf[0];
    int h = tb_tree_split(n);
    return tb_tree_combine(h, leaf) + tb_tree_combine(n - h, leaf + tb_tree_leaves(h));
}

// FloatSumKernels.sum's leaf: eight lanes, the remainder into lane 0.
template <class P>
TB_DEV typename P::A tb_leaf_sum(const typename P::T* a, int off, int n) {
    typedef typename P::A A;
    A s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    int i = off;
    for (int end = off + (n & ~7); i < end; i += 8) {
        s0 += P::load(a[i]); s1 += P::load(a[i + 1]); s2 += P::load(a[i + 2]); s3 += P::load(a[i + 3]);
        s4 += P::load(a[i + 4]); s5 += P::load(a[i + 5]); s6 += P::load(a[i + 6]); s7 += P::load(a[i + 7]);
    }
    for (int end = off + n; i < end; i++) s0 += P::load(a[i]);
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

// FloatSumKernels.sumSquaredDeviation's leaf: four lanes of (a - mean)^2.
template <class P>
TB_DEV typename P::A tb_leaf_sqdev(const typename P::T* a, int off, int n, typename P::A mean) {
    typedef typename P::A A;
    A s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = off;
    for (int end = off + (n & ~3); i < end; i += 4) {
        A d0 = P::load(a[i]) - mean, d1 = P::load(a[i + 1]) - mean;
        A d2 = P::load(a[i + 2]) - mean, d3 = P::load(a[i + 3]) - mean;
        s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
    }
    for (int end = off + n; i < end; i++) {
        A d = P::load(a[i]) - mean;
        s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
}

// FloatSumKernels.sumDeviationTimes's leaf: four lanes of (a - mean) * b.
template <class P>
TB_DEV typename P::A tb_leaf_devtimes(const typename P::T* a, const typename P::T* b, int off, int n,
                                      typename P::A mean) {
    typedef typename P::A A;
    A s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = off;
    for (int end = off + (n & ~3); i < end; i += 4) {
        s0 += (P::load(a[i]) - mean) * P::load(b[i]);
        s1 += (P::load(a[i + 1]) - mean) * P::load(b[i + 1]);
        s2 += (P::load(a[i + 2]) - mean) * P::load(b[i + 2]);
        s3 += (P::load(a[i + 3]) - mean) * P::load(b[i + 3]);
    }
    for (int end = off + n; i < end; i++) s0 += (P::load(a[i]) - mean) * P::load(b[i]);
    return (s0 + s1) + (s2 + s3);
}

// A whole tree in one thread (short sums: batch-norm's sum over the batch of per-image partial sums).
template <class P>
TB_DEV_REC typename P::A tb_tree_sum(const typename P::T* a, int off, int n) {
    if (n <= TB_LEAF_MAX) return tb_leaf_sum<P>(a, off, n);
    int h = tb_tree_split(n);
    return tb_tree_sum<P>(a, off, h) + tb_tree_sum<P>(a, off + h, n - h);
}

// ---- kernels ---------------------------------------------------------------------------------------------------
// Segments are `segs` runs of segLen values, segment s starting at s * segLen; each has `leaves` leaves.
// Thread i computes leaf (i % leaves) of segment (i / leaves) into leafOut[i].

template <class P>
TB_DEV void leaf_sum(long long i, int segLen, int leaves, const typename P::T* src, typename P::A* leafOut) {
    int off, len;
    tb_tree_leaf(segLen, (int)(i % leaves), &off, &len);
    leafOut[i] = tb_leaf_sum<P>(src + (i / leaves) * (long long)segLen, off, len);
}

// Squared deviation from mean[channel], where segment s belongs to channel s % channels (NCHW planes).
template <class P>
TB_DEV void leaf_sqdev(long long i, int segLen, int leaves, int channels, const typename P::T* src,
                       const typename P::A* mean, typename P::A* leafOut) {
    int off, len;
    long long seg = i / leaves;
    tb_tree_leaf(segLen, (int)(i % leaves), &off, &len);
    leafOut[i] = tb_leaf_sqdev<P>(src + seg * segLen, off, len, mean[seg % channels]);
}

template <class P>
TB_DEV void leaf_devtimes(long long i, int segLen, int leaves, int channels, const typename P::T* a,
                          const typename P::T* b, const typename P::A* mean, typename P::A* leafOut) {
    int off, len;
    long long seg = i / leaves;
    tb_tree_leaf(segLen, (int)(i % leaves), &off, &len);
    leafOut[i] = tb_leaf_devtimes<P>(a + seg * segLen, b + seg * segLen, off, len, mean[seg % channels]);
}

// Thread s combines segment s's leaves into out[(s % channels) * (segs / channels) + s / channels]: with
// channels = C and NCHW planes that is out[c][n], the per-channel layout batch norm sums over; channels = 1 keeps
// segment order.
template <class A>
TB_DEV void tree_combine(long long s, long long segs, int segLen, int leaves, int channels, const A* leafIn,
                         A* out) {
    long long perChannel = segs / channels;
    out[(s % channels) * perChannel + s / channels] = tb_tree_combine(segLen, leafIn + s * leaves);
}

#define TB_LEAF_KERNELS(sfx, P)                                                                                   \
    extern "C" __global__ void tb_leaf_sum_##sfx(long long n, int segLen, int leaves, const P::T* src,          \
                                                 P::A* leafOut) {                                               \
        TB_FOR(i, n) leaf_sum<P>(i, segLen, leaves, src, leafOut);                                               \
    }                                                                                                            \
    TB_EXPORT(tb_leaf_sum_##sfx)                                                                                 \
    extern "C" __global__ void tb_leaf_sqdev_##sfx(long long n, int segLen, int leaves, int channels,           \
                                                   const P::T* src, const P::A* mean, P::A* leafOut) {          \
        TB_FOR(i, n) leaf_sqdev<P>(i, segLen, leaves, channels, src, mean, leafOut);                             \
    }                                                                                                            \
    TB_EXPORT(tb_leaf_sqdev_##sfx)                                                                               \
    extern "C" __global__ void tb_leaf_devtimes_##sfx(long long n, int segLen, int leaves, int channels,        \
                                                      const P::T* a, const P::T* b, const P::A* mean,           \
                                                      P::A* leafOut) {                                          \
        TB_FOR(i, n) leaf_devtimes<P>(i, segLen, leaves, channels, a, b, mean, leafOut);                         \
    }                                                                                                            \
    TB_EXPORT(tb_leaf_devtimes_##sfx)
TB_VALUE_FORMATS(TB_LEAF_KERNELS)

extern "C" __global__ void tb_tree_combine_f32(long long segs, int segLen, int leaves, int channels,
                                               const float* leafIn, float* out) {
    TB_FOR(s, segs) tree_combine<float>(s, segs, segLen, leaves, channels, leafIn, out);
}
TB_EXPORT(tb_tree_combine_f32)
extern "C" __global__ void tb_tree_combine_f64(long long segs, int segLen, int leaves, int channels,
                                               const double* leafIn, double* out) {
    TB_FOR(s, segs) tree_combine<double>(s, segs, segLen, leaves, channels, leafIn, out);
}
TB_EXPORT(tb_tree_combine_f64)
