// Storage formats and the matmul rules of each precision (Precision.java): what a tensor holds on the device, the
// type its arithmetic runs in, and how an op's output is rounded once.
#pragma once
#include "half.cuh"

// Value formats. T: stored type; A: arithmetic (and accumulation) type; Acc: the format of arrays of A (partial
// sums, batch-norm statistics). load widens exactly; store rounds once (round-to-nearest-even) to the format; round
// does the same but stays in A.
struct F32 {
    typedef float T;
    typedef float A;
    typedef F32 Acc;
    static TB_DEV A load(T v) { return v; }
    static TB_DEV T store(A v) { return v; }
    static TB_DEV A round(A v) { return v; }
};
struct F64 {
    typedef double T;
    typedef double A;
    typedef F64 Acc;
    static TB_DEV A load(T v) { return v; }
    static TB_DEV T store(A v) { return v; }
    static TB_DEV A round(A v) { return v; }
};
struct F16 {
    typedef unsigned short T;
    typedef float A;
    typedef F32 Acc;
    static TB_DEV A load(T v) { return tb_half_value(v); }
    static TB_DEV T store(A v) { return tb_half_bits(v); }
    static TB_DEV A round(A v) { return tb_round_half(v); }
};

TB_DEV float tb_nan(float) { return __uint_as_float(0x7fc00000u); }
TB_DEV double tb_nan(double) { return __longlong_as_double(0x7ff8000000000000LL); }

// Matmul rules (conv and linear): P is the storage format; operand() rounds an operand before the product (only
// mixed, whose binary32 values enter as binary16); out() rounds the accumulated result once.
struct MM_F16 {
    typedef F16 P;
    static TB_DEV float operand(float v) { return v; }
    static TB_DEV float out(float v) { return tb_round_half(v); }
};
struct MM_F32 {
    typedef F32 P;
    static TB_DEV float operand(float v) { return v; }
    static TB_DEV float out(float v) { return v; }
};
struct MM_F64 {
    typedef F64 P;
    static TB_DEV double operand(double v) { return v; }
    static TB_DEV double out(double v) { return v; }
};
struct MM_MIXED {
    typedef F32 P;
    static TB_DEV float operand(float v) { return tb_round_half(v); }
    static TB_DEV float out(float v) { return tb_round_half(v); }
};

// Instantiation lists: X(suffix, type). Kernel names end in the suffix, which CudaBackend derives from a Precision.
#define TB_VALUE_FORMATS(X) X(f16, F16) X(f32, F32) X(f64, F64)
#define TB_MATMUL_RULES(X) X(f16, MM_F16) X(f32, MM_F32) X(f64, MM_F64) X(mixed, MM_MIXED)
