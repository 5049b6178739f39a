// IEEE binary16 rounding, mirroring io.tiebreak.runtime.precision.Half line by line: round-to-nearest-even,
// subnormals, overflow to infinity, NaN kept. This is the only place the kernels round to binary16.
//
// On the GPU, binary32 <-> binary16 use the hardware conversions (cvt.rn.f16.f32, cvt.f32.f16): the same IEEE
// round-to-nearest-even with subnormals and overflow to infinity, in one instruction instead of thirty (the GEMM
// epilogue is unrolled 64 times). They differ from the integer code only in NaN payloads. The integer code below
// is what the host emulator runs and checks against Half.java; the self-test checks the hardware path on a GPU.
#pragma once
#include "common.cuh"

#if defined(__CUDA_ARCH__)
#define TB_HALF_HARDWARE 1
#endif

// Half.round(float): x rounded to the nearest binary16 value, returned as the binary32 that holds it exactly.
TB_DEV float tb_round_half(float x) {
#ifdef TB_HALF_HARDWARE
    unsigned short h;
    float r;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(x));
    asm("cvt.f32.f16 %0, %1;" : "=f"(r) : "h"(h));
    return r;
#endif
    unsigned bits = __float_as_uint(x);
    unsigned abs = bits & 0x7fffffffu;
    if (abs >= 0x38800000u) {               // 2^-14, the smallest normal binary16
        if (abs >= 0x7f800000u) return x;   // inf and NaN pass through
        // Keep 10 of binary32's 23 fraction bits: add just under half an ulp, plus one if the kept lsb is odd.
        unsigned r = (abs + 0xfffu + ((abs >> 13) & 1u)) & 0xffffe000u;
        if (r >= 0x47800000u) r = 0x7f800000u;  // 65536 and up overflow
        return __uint_as_float(r | (bits & 0x80000000u));
    }
    // Below 2^-14 binary16 spacing is 2^-24, which is binary32's spacing on [0.5, 1): let the FPU round.
    float a = __uint_as_float(abs);
    return copysignf((a + 0.5f) - 0.5f, x);
}

// Half.round(double): x rounded once (not via binary32) to the nearest binary16 value.
TB_DEV double tb_round_half(double x) {
    unsigned long long bits = (unsigned long long)__double_as_longlong(x);
    unsigned long long abs = bits & 0x7fffffffffffffffULL;
    if (abs >= 0x3f10000000000000ULL) {
        if (abs >= 0x7ff0000000000000ULL) return x;
        unsigned long long r = (abs + ((1ULL << 41) - 1) + ((abs >> 42) & 1ULL)) & ~((1ULL << 42) - 1);
        if (r >= 0x40f0000000000000ULL) r = 0x7ff0000000000000ULL;
        return __longlong_as_double((long long)(r | (bits & 0x8000000000000000ULL)));
    }
    return copysign(rint(fabs(x) * 0x1p24) * 0x1p-24, x);
}

// Half.toBits: the binary16 pattern nearest to x (ties to even), with integer arithmetic only.
TB_DEV unsigned short tb_half_bits(float x) {
#ifdef TB_HALF_HARDWARE
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(x));
    return h;
#endif
    unsigned bits = __float_as_uint(x);
    unsigned sign = (bits >> 16) & 0x8000u;
    int exp = (int)((bits >> 23) & 0xffu);
    unsigned frac = bits & 0x7fffffu;
    if (exp == 0xff) return (unsigned short)(sign | 0x7c00u | (frac == 0 ? 0u : 0x200u | (frac >> 13)));
    int e = exp - 127 + 15;
    unsigned mant = exp == 0 ? frac : frac | 0x800000u;
    int shift;
    if (e >= 1) {
        shift = 13;
    } else {
        shift = 14 - e;
        e = 0;
        if (exp == 0) shift = 24;
        if (shift > 25) return (unsigned short)sign;
    }
    unsigned kept = shift >= 32 ? 0u : mant >> shift;
    unsigned rest = mant & ((1u << shift) - 1u);
    unsigned halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (kept & 1u) == 1u)) kept++;
    unsigned out = e == 0 ? kept : ((unsigned)e << 10) + (kept - 0x400u);
    if (out >= 0x7c00u) out = 0x7c00u;
    return (unsigned short)(sign | out);
}

// Half.fromBits: the binary16 value with pattern h, as an exact binary32.
TB_DEV float tb_half_value(unsigned short h) {
#ifdef TB_HALF_HARDWARE
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
#endif
    unsigned bits = h;
    unsigned sign = (bits & 0x8000u) << 16;
    unsigned exp = (bits >> 10) & 0x1fu;
    unsigned frac = bits & 0x3ffu;
    if (exp == 0x1f) return __uint_as_float(sign | 0x7f800000u | (frac << 13));
    if (exp == 0) return copysignf((float)frac * 0x1p-24f, __uint_as_float(sign | 0x3f800000u));
    return __uint_as_float(sign | ((exp - 15 + 127) << 23) | (frac << 13));
}
