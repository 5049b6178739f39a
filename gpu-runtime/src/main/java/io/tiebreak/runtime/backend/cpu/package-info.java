/**
 * The CPU backend and its kernels, one file per op family: {@code FloatSumKernels} (sums in a fixed order),
 * {@code FloatMatmulKernels} (GEMM, convolution, linear), {@code FloatElementwiseKernels} (ReLU, add, scale, norms),
 * {@code FloatPoolKernels} (max pooling under a Jacobian policy, average pooling), {@code FloatNormKernels} (batch
 * norm), {@code FloatLossKernels} (softmax cross-entropy) and {@code FloatOptimizerKernels} (SGD, Adam).
 *
 * <p>Each works on binary32 arrays: fp32, and fp16/mixed whose values are binary16 held in binary32 (the arithmetic
 * is binary32 and {@code Format.round} rounds each op's output once, docs/design.md "Precision semantics"). Each is
 * the single source of its fp64 twin: the build generates {@code Double*Kernels} from {@code Float*Kernels} by
 * replacing float with double (gpu-runtime/pom.xml), so write only what survives that substitution: no float literals
 * with an f suffix, no Float.floatToIntBits; bit patterns are declared {@code /*bits*}{@code /int}.
 *
 * <p>Determinism: every split into tasks depends on shapes only ({@link io.tiebreak.runtime.backend.cpu.WorkerPool}),
 * and every reduction has a fixed order, so results do not depend on the number of threads. Tensors are NCHW; arrays
 * start at offset 0.
 */
package io.tiebreak.runtime.backend.cpu;
