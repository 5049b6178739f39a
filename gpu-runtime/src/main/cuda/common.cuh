// Shared macros for every kernel file. The same sources also compile as plain C++ for the host emulator used by the
// tests (gpu-runtime/src/test/cuda-emulator): that build force-includes cuda_host_shim.h, which defines the CUDA
// keywords, threadIdx & co. and TB_EXPORT. Nothing here may depend on a CUDA header.
#pragma once

// Device functions (plain host functions in the emulator build).
#define TB_DEV __device__ __forceinline__
// Recursive helpers cannot be force-inlined.
#define TB_DEV_REC __device__

// Device functions kept out of line (called from many unrolled sites).
#ifndef TB_DEV_NOINLINE
#define TB_DEV_NOINLINE __device__ __noinline__
#endif

// Registers a kernel with the host emulator; nothing on the device.
#ifndef TB_EXPORT
#define TB_EXPORT(name)
#endif

// A 1-D grid-stride loop: the results never depend on the grid size chosen by the host.
#define TB_FOR(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); \
         i += (long long)gridDim.x * blockDim.x)

// Threads per block for 1-D kernels and block reductions; CudaBackend launches with the same value.
#define TB_BLOCK 256

template <class T> TB_DEV T tb_min(T a, T b) { return a < b ? a : b; }
template <class T> TB_DEV T tb_max(T a, T b) { return a > b ? a : b; }

TB_DEV float tb_fma(float a, float b, float c) { return fmaf(a, b, c); }
TB_DEV double tb_fma(double a, double b, double c) { return fma(a, b, c); }

TB_DEV bool tb_isnan(float v) { return v != v; }
TB_DEV bool tb_isnan(double v) { return v != v; }
TB_DEV bool tb_isfinite(float v) { return v - v == 0.0f; }
TB_DEV bool tb_isfinite(double v) { return v - v == 0.0; }

// Sum of an int over the block, in thread order pairs (integers, so any order gives the same result); every thread
// of the block must call it. Returns the total in thread 0.
TB_DEV unsigned long long tb_block_count(unsigned long long mine) {
    __shared__ unsigned long long part[TB_BLOCK];
    part[threadIdx.x] = mine;
    __syncthreads();
    for (int s = TB_BLOCK / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
        __syncthreads();
    }
    unsigned long long total = part[0];
    __syncthreads();
    return total;
}
