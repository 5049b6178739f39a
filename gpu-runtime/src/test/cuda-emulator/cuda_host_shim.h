// Lets gpu-runtime/src/main/cuda/tiebreak.cu compile as plain C++ for the host emulator (force-included with
// g++ -include). CUDA threads become fibers run by emulator.cpp, one block at a time: __shared__ variables become
// statics (one block is live at a time), __syncthreads() switches fibers, threadIdx & co. read the running fiber.
#pragma once
#include <math.h>
#include <stdint.h>
#include <string.h>

#define __host__
#define __device__
#define __global__
#define __forceinline__ inline
#define TB_DEV_NOINLINE
#define __launch_bounds__(...)
#define __shared__ static

struct dim3 {
    unsigned x, y, z;
};

namespace tb_emu {
dim3 thread_idx();
dim3 block_idx();
dim3 block_dim();
dim3 grid_dim();
void sync_threads();

typedef void (*Launcher)(void* fn, void** args);
void register_kernel(const char* name, void* fn, Launcher launcher);

// Unpacks cuLaunchKernel-style arguments (an array of pointers to each argument's value) into a call.
template <class F>
struct Caller;
template <class... A>
struct Caller<void (*)(A...)> {
    template <unsigned long... I>
    struct Seq {};
    template <unsigned long N, unsigned long... I>
    struct Make : Make<N - 1, N - 1, I...> {};
    template <unsigned long... I>
    struct Make<0, I...> {
        typedef Seq<I...> type;
    };
    template <unsigned long... I>
    static void invoke(void (*fn)(A...), void** args, Seq<I...>) {
        fn(*static_cast<A*>(args[I])...);
    }
    static void launch(void* fn, void** args) {
        invoke(reinterpret_cast<void (*)(A...)>(fn), args, typename Make<sizeof...(A)>::type());
    }
};

struct Registrar {
    template <class... A>
    Registrar(const char* name, void (*fn)(A...)) {
        register_kernel(name, reinterpret_cast<void*>(fn), &Caller<void (*)(A...)>::launch);
    }
};
}  // namespace tb_emu

#define threadIdx (tb_emu::thread_idx())
#define blockIdx (tb_emu::block_idx())
#define blockDim (tb_emu::block_dim())
#define gridDim (tb_emu::grid_dim())
#define TB_EXPORT(name) static tb_emu::Registrar tb_emu_registrar_##name(#name, name);

inline void __syncthreads() { tb_emu::sync_threads(); }

inline unsigned __float_as_uint(float f) {
    unsigned u;
    memcpy(&u, &f, sizeof u);
    return u;
}
inline float __uint_as_float(unsigned u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
inline long long __double_as_longlong(double d) {
    long long l;
    memcpy(&l, &d, sizeof l);
    return l;
}
inline double __longlong_as_double(long long l) {
    double d;
    memcpy(&d, &l, sizeof d);
    return d;
}
// One OS thread runs every fiber, so a plain add is atomic.
inline unsigned long long atomicAdd(unsigned long long* address, unsigned long long v) {
    unsigned long long old = *address;
    *address = old + v;
    return old;
}
