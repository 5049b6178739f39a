// The one translation unit nvcc compiles into tiebreak-kernels.fatbin (see gpu-runtime/pom.xml). Build flags that
// matter for the results: --fmad=false, so `a*b + c` rounds twice as Java does (the GEMM asks for fma explicitly),
// and no fast-math, so division and square root are IEEE round-to-nearest and subnormals are kept.
#include "common.cuh"
#include "half.cuh"
#include "formats.cuh"
#include "reduce.cuh"
#include "elementwise.cuh"
#include "concat.cuh"
#include "pool.cuh"
#include "gemm.cuh"
#include "conv.cuh"
#include "batchnorm.cuh"
#include "loss.cuh"
#include "optim.cuh"
