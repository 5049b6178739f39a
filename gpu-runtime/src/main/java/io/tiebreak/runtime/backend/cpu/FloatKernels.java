package io.tiebreak.runtime.backend.cpu;

import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.backend.PoolPolicy;
import io.tiebreak.runtime.precision.Precision.Format;
import io.tiebreak.runtime.precision.Reproducibility;

/**
 * CPU kernels on binary32 arrays: fp32, and fp16/mixed whose values are binary16 held in binary32 (the arithmetic is
 * binary32 and {@code Format.round} rounds each op's output once, as DESIGN.md says).
 *
 * <p>This file is the single source of the CPU kernels: the build generates {@code DoubleKernels} (fp64) from it by
 * replacing float with double (see gpu-runtime/pom.xml), so write only what survives that substitution: no float
 * literals with an f suffix, no Float.floatToIntBits.
 *
 * <p>Determinism: every split into tasks depends on shapes only, and every reduction has a fixed order, so the
 * results do not depend on the number of threads. Tensors are NCHW; arrays start at offset 0.
 */
final class FloatKernels {
    private FloatKernels() {}

    /**
     * Upper bound on tasks per kernel, fixed so splits depend on shapes only. Eight keeps a task of 8 cores busy
     * while each GEMM block stays large; more blocks would repack shared operands more often.
     */
    static final int MAX_TASKS = 8;
    /** Elementwise work below this many values runs as one task. */
    private static final int ELEMENTWISE_GRAIN = 1 << 15;
    /** GEMM multiply-adds per task, at least. */
    private static final long GEMM_GRAIN = 1L << 21;
    /**
     * Column blocks of a GEMM start at multiples of this, and im2col matrices are padded to it. OpenBLAS computes
     * the columns left over after its unroll width (16 on AVX-512) with edge kernels that round differently, so an
     * output would depend on where its patch sits in the batch, breaking exact ties that the inputs have.
     */
    static final int COLUMN_ALIGN = 64;

    /** n rounded up to a multiple of COLUMN_ALIGN. */
    static int aligned(int n) { return (n + COLUMN_ALIGN - 1) / COLUMN_ALIGN * COLUMN_ALIGN; }

    // ---- reductions in a fixed order -------------------------------------------------------------------------

    /** Sum of a[off, off+n): pairwise over halves, eight lanes at the leaves. */
    static float sum(float[] a, int off, int n) {
        if (n > 1024) {
            int h = (n >>> 1) & ~7;
            return sum(a, off, h) + sum(a, off + h, n - h);
        }
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = off;
        for (int end = off + (n & ~7); i < end; i += 8) {
            s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3];
            s4 += a[i + 4]; s5 += a[i + 5]; s6 += a[i + 6]; s7 += a[i + 7];
        }
        for (int end = off + n; i < end; i++) s0 += a[i];
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /** Sum of (a[i] - mean)^2 over a[off, off+n), in the order of {@link #sum}. */
    static float sumSquaredDeviation(float[] a, int off, int n, float mean) {
        if (n > 1024) {
            int h = (n >>> 1) & ~7;
            return sumSquaredDeviation(a, off, h, mean) + sumSquaredDeviation(a, off + h, n - h, mean);
        }
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = off;
        for (int end = off + (n & ~3); i < end; i += 4) {
            float d0 = a[i] - mean, d1 = a[i + 1] - mean, d2 = a[i + 2] - mean, d3 = a[i + 3] - mean;
            s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
        }
        for (int end = off + n; i < end; i++) {
            float d = a[i] - mean;
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Sum of (a[i] - mean) * b[i] over [off, off+n), in the order of {@link #sum}. */
    static float sumDeviationTimes(float[] a, float[] b, int off, int n, float mean) {
        if (n > 1024) {
            int h = (n >>> 1) & ~7;
            return sumDeviationTimes(a, b, off, h, mean) + sumDeviationTimes(a, b, off + h, n - h, mean);
        }
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = off;
        for (int end = off + (n & ~3); i < end; i += 4) {
            s0 += (a[i] - mean) * b[i]; s1 += (a[i + 1] - mean) * b[i + 1];
            s2 += (a[i + 2] - mean) * b[i + 2]; s3 += (a[i + 3] - mean) * b[i + 3];
        }
        for (int end = off + n; i < end; i++) s0 += (a[i] - mean) * b[i];
        return (s0 + s1) + (s2 + s3);
    }

    // ---- GEMM ------------------------------------------------------------------------------------------------

    /**
     * Row-major C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C through the native BLAS (one thread per call).
     * Large products are split over rows or columns of C; products with a small C and a long k (weight gradients)
     * are split over k, and the partial products are added to C in task order.
     */
    static void gemm(Reproducibility r, WorkerPool pool, boolean ta, boolean tb, int m, int n, int k, float alpha,
                     float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc) {
        if (m == 0 || n == 0) return;
        int tasks = WorkerPool.tasks((long) m * n * k, GEMM_GRAIN, MAX_TASKS);
        // Each task packs the operand it shares with the others again: keep blocks at least 64 wide, and split a
        // long k instead when C is small (weight gradients: C is weights-sized, k is batch x pixels).
        int byN = Math.min(tasks, n / 64), byM = Math.min(tasks, m / 64);
        if (tasks > 1 && k >= 8 * Math.max(m, n) && (long) m * n <= 1 << 18) {
            gemmSplitK(r, pool, tasks, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else if (byN >= 2 && byN >= byM) {
            pool.run(byN, t -> {
                int j0 = columnStart(n, byN, t), j1 = columnStart(n, byN, t + 1);
                blas(r, ta, tb, m, j1 - j0, k, alpha, a, 0, lda, b, tb ? j0 * ldb : j0, ldb, beta, c, j0, ldc);
            });
        } else if (byM >= 2) {
            pool.run(byM, t -> {
                int i0 = WorkerPool.start(m, byM, t), i1 = WorkerPool.start(m, byM, t + 1);
                blas(r, ta, tb, i1 - i0, n, k, alpha, a, ta ? i0 : i0 * lda, lda, b, 0, ldb, beta, c, i0 * ldc, ldc);
            });
        } else {
            blas(r, ta, tb, m, n, k, alpha, a, 0, lda, b, 0, ldb, beta, c, 0, ldc);
        }
    }

    /** Start of column block t of parts: a multiple of COLUMN_ALIGN, except that the last block ends at n. */
    private static int columnStart(int n, int parts, int t) {
        return t == parts ? n : WorkerPool.start(n, parts, t) / COLUMN_ALIGN * COLUMN_ALIGN;
    }

    private static void gemmSplitK(Reproducibility r, WorkerPool pool, int tasks, boolean ta, boolean tb, int m, int n, int k,
                                   float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c,
                                   int ldc) {
        float[][] partial = new float[tasks][];
        pool.run(tasks, t -> {
            int k0 = WorkerPool.start(k, tasks, t), k1 = WorkerPool.start(k, tasks, t + 1);
            float[] p = new float[m * n];
            blas(r, ta, tb, m, n, k1 - k0, alpha, a, ta ? k0 * lda : k0, lda, b, tb ? k0 : k0 * ldb, ldb, 0, p, 0, n);
            partial[t] = p;
        });
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = partial[0][i * n + j];
                for (int t = 1; t < tasks; t++) s += partial[t][i * n + j];
                c[i * ldc + j] = beta == 0 ? s : beta * c[i * ldc + j] + s;
            }
        }
    }

    /**
     * One thread's row-major gemm: host mode through the native BLAS (column-major: C^T = op(B)^T op(A)^T), portable
     * mode through our fixed-order kernel.
     */
    private static void blas(Reproducibility r, boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                             float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        if (r == Reproducibility.PORTABLE) {
            FloatGemm.gemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        NativeBlas.blas().sgemm(tb ? "T" : "N", ta ? "T" : "N", n, m, k, alpha, b, bOff, ldb, a, aOff, lda,
                beta, c, cOff, ldc);
    }

    // ---- convolution -----------------------------------------------------------------------------------------

    /**
     * im2col for the whole batch: col[r][n*P + oy*Wo + ox] = x[n, c, oy*sh - ph + ky, ox*sw - pw + kx] (0 in the
     * padding), with r = (c*kh + ky)*kw + kx and P = Ho*Wo; rows are aligned(N*P) long, zero past N*P. Values are
     * rounded to {@code operand} unless it is null.
     */
    static void im2col(WorkerPool pool, float[] x, int batch, int h, int w, ConvGeometry g, float[] col,
                       Format operand) {
        int p = g.outH(h) * g.outW(w), np = batch * p, ld = aligned(np), rows = g.patchSize();
        int tasks = WorkerPool.tasks((long) rows * np, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            int r0 = WorkerPool.start(rows, tasks, t), r1 = WorkerPool.start(rows, tasks, t + 1);
            im2col(x, 0, batch, r0, r1, h, w, g, col, ld, operand);
            for (int r = r0; r < r1; r++) java.util.Arrays.fill(col, r * ld + np, (r + 1) * ld, 0);
        });
    }

    /** Rows [r0, r1) of im2col for images [n0, n1), written at col[r * ld + (n - n0) * P + ...]. */
    private static void im2col(float[] x, int n0, int n1, int r0, int r1, int h, int w, ConvGeometry g, float[] col,
                               int ld, Format operand) {
        int ho = g.outH(h), wo = g.outW(w), p = ho * wo, kk = g.kernelH() * g.kernelW();
        for (int r = r0; r < r1; r++) {
            int c = r / kk, ky = (r % kk) / g.kernelW(), kx = r % g.kernelW();
            int ox0 = firstInside(kx, g.padW(), g.strideW()), ox1 = endInside(kx, g.padW(), g.strideW(), w, wo);
            for (int n = n0; n < n1; n++) {
                int plane = (n * g.inChannels() + c) * h * w;
                for (int oy = 0; oy < ho; oy++) {
                    int dst = r * ld + (n - n0) * p + oy * wo;
                    int iy = oy * g.strideH() - g.padH() + ky;
                    if (iy < 0 || iy >= h || ox0 >= ox1) {
                        java.util.Arrays.fill(col, dst, dst + wo, 0);
                        continue;
                    }
                    int src = plane + iy * w - g.padW() + kx;
                    for (int ox = 0; ox < ox0; ox++) col[dst + ox] = 0;
                    if (g.strideW() == 1 && ox1 - ox0 >= 64) {
                        System.arraycopy(x, src + ox0, col, dst + ox0, ox1 - ox0);
                    } else if (g.strideW() == 1) {
                        for (int ox = ox0; ox < ox1; ox++) col[dst + ox] = x[src + ox]; // short rows: no call
                    } else {
                        for (int ox = ox0; ox < ox1; ox++) col[dst + ox] = x[src + ox * g.strideW()];
                    }
                    for (int ox = ox1; ox < wo; ox++) col[dst + ox] = 0;
                }
            }
            if (operand != null) operand.roundInPlace(col, r * ld, (n1 - n0) * p);
        }
    }

    /** First output index whose input column ox*s - pad + kx is >= 0. */
    private static int firstInside(int kx, int pad, int stride) {
        int need = pad - kx; // ox*stride >= need
        return need <= 0 ? 0 : (need + stride - 1) / stride;
    }

    /** One past the last output index whose input column is < w. */
    private static int endInside(int kx, int pad, int stride, int w, int wo) {
        int lim = w + pad - kx; // ox*stride < lim
        if (lim <= 0) return 0;
        return Math.min(wo, (lim + stride - 1) / stride);
    }

    /**
     * dx[n,c,iy,ix] = sum of the col entries that im2col copied from there (dx overwritten), rounded to out; col has
     * im2col's layout. Tasks own ranges of images.
     */
    static void col2im(WorkerPool pool, float[] col, int batch, int h, int w, ConvGeometry g, float[] dx,
                       Format out) {
        int p = g.outH(h) * g.outW(w), ld = aligned(batch * p);
        int tasks = WorkerPool.tasks((long) batch * g.patchSize() * p, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, batch));
        pool.run(tasks, t -> {
            int n0 = WorkerPool.start(batch, tasks, t), n1 = WorkerPool.start(batch, tasks, t + 1);
            col2im(col, n0 * p, ld, n0, n1, h, w, g, dx, out);
        });
    }

    /**
     * col2im for images [n0, n1) whose columns start at col[r * ld + first]. Rows of col are the outer loop so col is
     * read sequentially (reading it image by image jumps a whole row per 256 bytes and is several times slower).
     */
    private static void col2im(float[] col, int first, int ld, int n0, int n1, int h, int w, ConvGeometry g, float[] dx,
                               Format out) {
        int ho = g.outH(h), wo = g.outW(w), p = ho * wo;
        int kk = g.kernelH() * g.kernelW(), cin = g.inChannels(), plane = h * w, sw = g.strideW();
        java.util.Arrays.fill(dx, n0 * cin * plane, n1 * cin * plane, 0);
        for (int r = 0; r < cin * kk; r++) {
            int c = r / kk, ky = (r % kk) / g.kernelW(), kx = r % g.kernelW();
            int ox0 = firstInside(kx, g.padW(), sw), ox1 = endInside(kx, g.padW(), sw, w, wo);
            for (int n = n0; n < n1; n++) {
                int img = n * cin * plane;
                for (int oy = 0; oy < ho; oy++) {
                    int iy = oy * g.strideH() - g.padH() + ky;
                    if (iy < 0 || iy >= h) continue;
                    int src = r * ld + first + (n - n0) * p + oy * wo;
                    int dst = img + c * plane + iy * w - g.padW() + kx;
                    if (sw == 1) {
                        for (int ox = ox0; ox < ox1; ox++) dx[dst + ox] += col[src + ox];
                    } else {
                        for (int ox = ox0; ox < ox1; ox++) dx[dst + ox * sw] += col[src + ox];
                    }
                }
            }
        }
        out.roundInPlace(dx, n0 * cin * plane, (n1 - n0) * cin * plane);
    }

    /**
     * y = conv(x, w) + b through im2col and one GEMM over the batch; y rounded once to mm. operand is the format
     * x, w, b (and dy in backward) are rounded to before the product, or null when they already are (all but
     * mixed, where autocast hands conv and linear binary16 copies of all their inputs).
     */
    static void conv2dForward(Reproducibility r, WorkerPool pool, Scratch s, float[] x, int batch, int h, int w, float[] wt, float[] b,
                              ConvGeometry g, float[] y, Format mm, Format operand) {
        int p = g.outH(h) * g.outW(w), np = batch * p, ld = aligned(np), ck = g.patchSize(), cout = g.outChannels();
        if (byImageChunks(g, p)) {
            conv2dForwardByChunks(r, pool, s, x, batch, h, w, wt, b, g, y, mm, operand);
            return;
        }
        float[] col = s.floats(0, ck * ld);
        im2col(pool, x, batch, h, w, g, col, operand);
        float[] wm = operand != null ? roundedCopy(wt, s.floats(3, wt.length), operand) : wt;
        float[] yt = s.floats(2, cout * ld);
        gemm(r, pool, false, false, cout, ld, ck, 1, wm, ck, col, ld, 0, yt, ld);
        int tasks = WorkerPool.tasks((long) cout * np, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, batch));
        pool.run(tasks, t -> {
            for (int n = WorkerPool.start(batch, tasks, t), end = WorkerPool.start(batch, tasks, t + 1); n < end; n++) {
                for (int o = 0; o < cout; o++) {
                    float bias = b == null ? 0 : operand != null ? operand.round(b[o]) : b[o];
                    int src = o * ld + n * p, dst = (n * cout + o) * p;
                    for (int i = 0; i < p; i++) y[dst + i] = mm.round(yt[src + i] + bias);
                }
            }
        });
    }

    /** Gradients of conv2dForward; dx and db may be null. All rounded once to mm. */
    static void conv2dBackward(Reproducibility r, WorkerPool pool, Scratch s, float[] x, int batch, int h, int w, float[] wt,
                               float[] dy, ConvGeometry g, float[] dx, float[] dw, float[] db, Format mm,
                               Format operand) {
        int p = g.outH(h) * g.outW(w), np = batch * p, ld = aligned(np), ck = g.patchSize(), cout = g.outChannels();
        if (byImageChunks(g, p)) {
            conv2dBackwardByChunks(r, pool, s, x, batch, h, w, wt, dy, g, dx, dw, db, mm, operand);
            return;
        }
        float[] dyt = s.floats(2, cout * ld); // dy as [cout][n*P], padded with zeros: the GEMMs' layout
        int tasks = WorkerPool.tasks((long) cout * np, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, cout));
        pool.run(tasks, t -> {
            for (int o = WorkerPool.start(cout, tasks, t), end = WorkerPool.start(cout, tasks, t + 1); o < end; o++) {
                for (int n = 0; n < batch; n++) System.arraycopy(dy, (n * cout + o) * p, dyt, o * ld + n * p, p);
                java.util.Arrays.fill(dyt, o * ld + np, (o + 1) * ld, 0);
                if (operand != null) operand.roundInPlace(dyt, o * ld, np);
                if (db != null) db[o] = mm.round(sum(dyt, o * ld, np));
            }
        });
        float[] col = s.floats(0, ck * ld);
        im2col(pool, x, batch, h, w, g, col, operand);
        gemm(r, pool, false, true, cout, ck, ld, 1, dyt, ld, col, ld, 0, dw, ck);
        mm.roundInPlace(dw, 0, cout * ck);
        if (dx != null) {
            float[] wm = operand != null ? roundedCopy(wt, s.floats(3, wt.length), operand) : wt;
            float[] dcol = s.floats(1, ck * ld);
            gemm(r, pool, true, false, ck, ld, cout, 1, wm, ck, dyt, ld, 0, dcol, ld);
            col2im(pool, dcol, batch, h, w, g, dx, mm);
        }
    }

    /**
     * Layers with few input channels (LeNet-5's, VGG's first) have a short im2col matrix and many output pixels:
     * there each task takes a chunk of images, builds their im2col block in cache and multiplies image by image
     * straight into NCHW, instead of one batch-wide matrix and a transposition. Output pixels per image must be a
     * multiple of COLUMN_ALIGN so every pixel goes through the same GEMM kernel.
     */
    private static boolean byImageChunks(ConvGeometry g, int p) {
        return p % COLUMN_ALIGN == 0 && g.patchSize() <= 256;
    }

    /** Image chunks: at most MAX_TASKS, fixed by the batch size alone. */
    private static int imageChunks(int batch) { return Math.min(MAX_TASKS, batch); }

    private static void conv2dForwardByChunks(Reproducibility r, WorkerPool pool, Scratch s, float[] x, int batch, int h, int w,
                                              float[] wt, float[] b, ConvGeometry g, float[] y, Format mm,
                                              Format operand) {
        int p = g.outH(h) * g.outW(w), ck = g.patchSize(), cout = g.outChannels(), tasks = imageChunks(batch);
        float[] wm = operand != null ? roundedCopy(wt, s.floats(3, wt.length), operand) : wt;
        pool.run(tasks, t -> {
            int n0 = WorkerPool.start(batch, tasks, t), n1 = WorkerPool.start(batch, tasks, t + 1), ld = (n1 - n0) * p;
            float[] col = s.local().floats(0, ck * ld);
            im2col(x, n0, n1, 0, ck, h, w, g, col, ld, operand);
            for (int n = n0; n < n1; n++) {
                int out = n * cout * p;
                blas(r, false, false, cout, p, ck, 1, wm, 0, ck, col, (n - n0) * p, ld, 0, y, out, p);
                for (int o = 0; o < cout; o++) {
                    float bias = b == null ? 0 : operand != null ? operand.round(b[o]) : b[o];
                    for (int i = out + o * p, e = i + p; i < e; i++) y[i] = mm.round(y[i] + bias);
                }
            }
        });
    }

    private static void conv2dBackwardByChunks(Reproducibility r, WorkerPool pool, Scratch s, float[] x, int batch, int h, int w,
                                               float[] wt, float[] dy, ConvGeometry g, float[] dx, float[] dw,
                                               float[] db, Format mm, Format operand) {
        int p = g.outH(h) * g.outW(w), ck = g.patchSize(), cout = g.outChannels(), tasks = imageChunks(batch);
        float[] wm = operand != null ? roundedCopy(wt, s.floats(3, wt.length), operand) : wt;
        float[][] dwPart = new float[tasks][];
        pool.run(tasks, t -> {
            int n0 = WorkerPool.start(batch, tasks, t), n1 = WorkerPool.start(batch, tasks, t + 1), ld = (n1 - n0) * p;
            Scratch mine = s.local();
            float[] col = mine.floats(0, ck * ld);
            im2col(x, n0, n1, 0, ck, h, w, g, col, ld, operand);
            float[] g2 = dy;
            int g2Off = n0 * cout * p;
            if (operand != null) { // mixed: this chunk of dy as binary16 operands
                g2 = mine.floats(2, (n1 - n0) * cout * p);
                System.arraycopy(dy, n0 * cout * p, g2, 0, (n1 - n0) * cout * p);
                operand.roundInPlace(g2, 0, (n1 - n0) * cout * p);
                g2Off = 0;
            }
            float[] dwt = new float[cout * ck];
            for (int n = n0; n < n1; n++) {
                int gOff = g2Off + (n - n0) * cout * p;
                blas(r, false, true, cout, ck, p, 1, g2, gOff, p, col, (n - n0) * p, ld, n == n0 ? 0 : 1, dwt, 0, ck);
            }
            dwPart[t] = dwt;
            if (dx != null) {
                float[] dcol = mine.floats(1, ck * ld);
                for (int n = n0; n < n1; n++) {
                    blas(r, true, false, ck, p, cout, 1, wm, 0, ck, g2, g2Off + (n - n0) * cout * p, p, 0, dcol, (n - n0) * p, ld);
                }
                col2im(dcol, 0, ld, n0, n1, h, w, g, dx, mm);
            }
        });
        for (int i = 0; i < cout * ck; i++) {
            float acc = dwPart[0][i];
            for (int t = 1; t < tasks; t++) acc += dwPart[t][i];
            dw[i] = mm.round(acc);
        }
        if (db != null) biasGradient(pool, s, dy, batch, cout, p, db, mm, operand);
    }

    /**
     * db[o] = sum of dy[., o, .] in one fixed order, gathered per channel as the batch-wide path lays it out, so
     * both convolution paths (and the CUDA kernel) give the same bits.
     */
    private static void biasGradient(WorkerPool pool, Scratch s, float[] dy, int batch, int cout, int p, float[] db,
                                     Format mm, Format operand) {
        int np = batch * p, tasks = WorkerPool.tasks((long) cout * np, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, cout));
        pool.run(tasks, t -> {
            float[] channel = s.local().floats(4, np);
            for (int o = WorkerPool.start(cout, tasks, t), end = WorkerPool.start(cout, tasks, t + 1); o < end; o++) {
                for (int n = 0; n < batch; n++) System.arraycopy(dy, (n * cout + o) * p, channel, n * p, p);
                if (operand != null) operand.roundInPlace(channel, 0, np);
                db[o] = mm.round(sum(channel, 0, np));
            }
        });
    }

    /** y = x w^T + b, rounded once to mm. x [batch,in], w [out,in]. */
    static void linearForward(Reproducibility r, WorkerPool pool, Scratch s, float[] x, int batch, int in, float[] wt, int out,
                              float[] b, float[] y, Format mm, Format operand) {
        float[] xm = operand != null ? roundedCopy(x, s.floats(0, batch * in), operand) : x;
        float[] wm = operand != null ? roundedCopy(wt, s.floats(3, out * in), operand) : wt;
        if (b != null) {
            for (int n = 0; n < batch; n++) System.arraycopy(b, 0, y, n * out, out);
            if (operand != null) operand.roundInPlace(y, 0, batch * out);
        }
        gemm(r, pool, false, true, batch, out, in, 1, xm, in, wm, in, b == null ? 0 : 1, y, out);
        mm.roundInPlace(y, 0, batch * out);
    }

    /** dx = dy w, dw = dy^T x, db = column sums of dy; dx and db may be null. */
    static void linearBackward(Reproducibility r, WorkerPool pool, Scratch s, float[] x, int batch, int in, float[] wt, int out,
                               float[] dy, float[] dx, float[] dw, float[] db, Format mm, Format operand) {
        float[] xm = operand != null ? roundedCopy(x, s.floats(0, batch * in), operand) : x;
        float[] wm = operand != null ? roundedCopy(wt, s.floats(3, out * in), operand) : wt;
        float[] dym = operand != null ? roundedCopy(dy, s.floats(2, batch * out), operand) : dy;
        gemm(r, pool, true, false, out, in, batch, 1, dym, out, xm, in, 0, dw, in);
        mm.roundInPlace(dw, 0, out * in);
        if (db != null) {
            for (int j = 0; j < out; j++) db[j] = 0;
            for (int n = 0; n < batch; n++) for (int j = 0; j < out; j++) db[j] += dym[n * out + j];
            mm.roundInPlace(db, 0, out);
        }
        if (dx != null) {
            gemm(r, pool, false, false, batch, in, out, 1, dym, out, wm, in, 0, dx, in);
            mm.roundInPlace(dx, 0, batch * in);
        }
    }

    private static float[] roundedCopy(float[] src, float[] dst, Format f) {
        System.arraycopy(src, 0, dst, 0, src.length);
        f.roundInPlace(dst, 0, src.length);
        return dst;
    }

    // ---- elementwise -----------------------------------------------------------------------------------------

    /** Sign bit cleared / +infinity, as bit patterns: NaN is any pattern above INF_BITS once the sign is cleared. */
    private static final /*bits*/int ABS_BITS = ~Float.floatToRawIntBits(-(float) 0), INF_BITS = Float.floatToRawIntBits(Float.POSITIVE_INFINITY);

    /** y = x < 0 ? 0 : x, as PyTorch's CPU relu: NaN and -0 pass through unchanged. */
    static void relu(WorkerPool pool, float[] x, float[] y, int n) {
        int tasks = WorkerPool.tasks(n, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            // Bit masks instead of branches: signs are random, and mispredicted branches cost ten times the work.
            for (int i = WorkerPool.start(n, tasks, t), end = WorkerPool.start(n, tasks, t + 1); i < end; i++) {
                /*bits*/int b = Float.floatToRawIntBits(x[i]), a = b & ABS_BITS;
                /*bits*/int keep = (b >= 0 | a == 0 | a > INF_BITS) ? -1 : 0; // all but negative numbers
                y[i] = Float.intBitsToFloat(b & keep);
            }
        });
    }

    /** dx = dy (x > 0 or NaN, as PyTorch's threshold_backward), 0 (x < 0), alpha*dy rounded (x == 0). */
    static void reluBackward(WorkerPool pool, float[] x, float[] dy, float alpha, float[] dx, int n, Format f) {
        int tasks = WorkerPool.tasks(n, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            int start = WorkerPool.start(n, tasks, t), end = WorkerPool.start(n, tasks, t + 1);
            for (int i = start; i < end; i++) {
                /*bits*/int b = Float.floatToRawIntBits(x[i]);
                /*bits*/int keep = (b > 0 | (b & ABS_BITS) > INF_BITS) ? -1 : 0;
                dx[i] = Float.intBitsToFloat(Float.floatToRawIntBits(dy[i]) & keep);
            }
            if (alpha != 0) {
                for (int i = start; i < end; i++) if (x[i] == 0) dx[i] = f.round(alpha * dy[i]);
            }
        });
    }

    /** out = a + b, rounded. */
    static void add(WorkerPool pool, float[] a, float[] b, float[] out, int n, Format f) {
        int tasks = WorkerPool.tasks(n, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            for (int i = WorkerPool.start(n, tasks, t), end = WorkerPool.start(n, tasks, t + 1); i < end; i++) {
                out[i] = f.round(a[i] + b[i]);
            }
        });
    }

    static void scale(WorkerPool pool, float[] a, float factor, int n, Format f) {
        int tasks = WorkerPool.tasks(n, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            for (int i = WorkerPool.start(n, tasks, t), end = WorkerPool.start(n, tasks, t + 1); i < end; i++) {
                a[i] = f.round(a[i] * factor);
            }
        });
    }

    static long countNonFinite(float[] a, int n) {
        long bad = 0;
        for (int i = 0; i < n; i++) if (!Float.isFinite(a[i])) bad++;
        return bad;
    }

    /** {sum |a|, sqrt(sum a^2), max |a|} accumulated in binary64, in index order (NaN propagates). */
    static double[] norms(float[] a, int n) {
        double l1 = 0, l2 = 0, linf = 0;
        for (int i = 0; i < n; i++) {
            double v = Math.abs((double) a[i]);
            l1 += v;
            l2 += v * v;
            if (v > linf || v != v) linf = v;
        }
        return new double[] {l1, Math.sqrt(l2), linf};
    }

    // ---- pooling ---------------------------------------------------------------------------------------------

    /**
     * Max pooling over planes = N*C images of h x w. Composite beta:B gives round(round(B*m) + round((1-B)*m)).
     * A NaN in a window is its maximum (PyTorch) and the NaN positions are its tie set. Returns windows with k >= 2.
     */
    static long maxPoolForward(WorkerPool pool, float[] x, int planes, int h, int w, PoolGeometry g,
                               PoolPolicy policy, float[] y, Format f) {
        int ho = g.out(h), wo = g.out(w);
        boolean composite = policy.form() == PoolPolicy.Form.COMPOSITE;
        float beta = (float) policy.beta(), oneMinusBeta = 1 - beta;
        boolean fast2x2 = g.kernel() == 2 && g.stride() == 2 && g.padding() == 0;
        int tasks = WorkerPool.tasks((long) planes * ho * wo * g.kernel() * g.kernel(), ELEMENTWISE_GRAIN,
                Math.min(MAX_TASKS, planes));
        long[] ties = new long[tasks];
        pool.run(tasks, t -> {
            int[] tie = new int[g.kernel() * g.kernel()];
            long tied = 0;
            for (int pl = WorkerPool.start(planes, tasks, t), end = WorkerPool.start(planes, tasks, t + 1); pl < end; pl++) {
                int in = pl * h * w, out = pl * ho * wo;
                for (int oy = 0; oy < ho; oy++) {
                    int y0 = g.windowStart(oy), y1 = g.windowEnd(oy, h);
                    for (int ox = 0; ox < wo; ox++) {
                        float m;
                        int k;
                        if (fast2x2) {
                            int i0 = in + 2 * oy * w + 2 * ox;
                            float a = x[i0], b = x[i0 + 1], c = x[i0 + w], d = x[i0 + w + 1];
                            m = Math.max(Math.max(a, b), Math.max(c, d));
                            if (m == m) {
                                int ea = a == m ? 1 : 0, eb = b == m ? 1 : 0, ec = c == m ? 1 : 0;
                                k = ea + eb + ec + (d == m ? 1 : 0);
                                int first = (1 - ea) * (1 + (1 - eb) * (1 + (1 - ec)));
                                m = x[i0 + (first & 1) + (first >> 1) * w]; // the first maximum: -0 and +0 differ
                            } else { // NaN is the maximum: the general path finds the first one
                                k = tieSet(x, in, w, y0, y1, 2 * ox, 2 * ox + 2, tie);
                                m = x[tie[0]];
                            }
                        } else {
                            int x0 = g.windowStart(ox), x1 = g.windowEnd(ox, w);
                            k = tieSet(x, in, w, y0, y1, x0, x1, tie);
                            m = x[tie[0]];
                        }
                        tied += k >= 2 ? 1 : 0;
                        y[out + oy * wo + ox] = composite ? f.round(f.round(beta * m) + f.round(oneMinusBeta * m)) : m;
                    }
                }
            }
            ties[t] = tied;
        });
        long total = 0;
        for (long c : ties) total += c;
        return total;
    }

    /**
     * Max pooling backward under a Jacobian policy (DESIGN.md). The tie set of each window is recomputed from x.
     * Exact forms accumulate each window's contributions into dx in binary32 and round once; the composite form
     * rounds g_min = B*g, g_first = (1-B)*g, each share g_min/k, each branch's sum, and their sum, step by step.
     */
    static void maxPoolBackward(WorkerPool pool, Scratch s, float[] x, float[] dy, int planes, int h, int w,
                                PoolGeometry g, PoolPolicy policy, float[] dx, Format f) {
        int ho = g.out(h), wo = g.out(w), plane = h * w;
        boolean composite = policy.form() == PoolPolicy.Form.COMPOSITE;
        float[] firstBranch = composite ? s.floats(4, planes * plane) : null;
        float beta = (float) policy.beta(), oneMinusBeta = 1 - beta;
        PoolPolicy.Kind kind = policy.kind();
        if (g.kernel() == 2 && g.stride() == 2 && g.padding() == 0) {
            maxPoolBackward2x2(pool, x, dy, planes, h, w, policy, dx, f);
            return;
        }
        int tasks = WorkerPool.tasks((long) planes * ho * wo * g.kernel() * g.kernel(), ELEMENTWISE_GRAIN,
                Math.min(MAX_TASKS, planes));
        pool.run(tasks, t -> {
            int[] tie = new int[g.kernel() * g.kernel()];
            for (int pl = WorkerPool.start(planes, tasks, t), end = WorkerPool.start(planes, tasks, t + 1); pl < end; pl++) {
                int in = pl * plane, out = pl * ho * wo;
                java.util.Arrays.fill(dx, in, in + plane, 0);
                if (composite) java.util.Arrays.fill(firstBranch, in, in + plane, 0);
                for (int oy = 0; oy < ho; oy++) {
                    int y0 = g.windowStart(oy), y1 = g.windowEnd(oy, h);
                    for (int ox = 0; ox < wo; ox++) {
                        int x0 = g.windowStart(ox), x1 = g.windowEnd(ox, w);
                        int k = tieSet(x, in, w, y0, y1, x0, x1, tie);
                        float gr = dy[out + oy * wo + ox];
                        switch (kind) {
                            case FIRST: dx[tie[0]] += gr; break;
                            case LAST: dx[tie[k - 1]] += gr; break;
                            case ALL: for (int i = 0; i < k; i++) dx[tie[i]] += gr; break;
                            case MIN_NORM: {
                                float share = gr / k;
                                for (int i = 0; i < k; i++) dx[tie[i]] += share;
                                break;
                            }
                            default:
                                if (composite) {
                                    float share = f.round(f.round(beta * gr) / k);
                                    for (int i = 0; i < k; i++) dx[tie[i]] += share;
                                    firstBranch[tie[0]] += f.round(oneMinusBeta * gr);
                                } else {
                                    float share = beta * gr / k;
                                    dx[tie[0]] += share + oneMinusBeta * gr;
                                    for (int i = 1; i < k; i++) dx[tie[i]] += share;
                                }
                        }
                    }
                }
                if (composite) {
                    for (int i = in; i < in + plane; i++) dx[i] = f.round(f.round(dx[i]) + f.round(firstBranch[i]));
                } else {
                    f.roundInPlace(dx, in, plane);
                }
            }
        });
    }

    /**
     * The general backward specialised to the study's 2x2/2 pools, with the same arithmetic: windows do not overlap,
     * so each input gets one value: the target's (first, last) or a tied input's, each computed once per window as
     * the general path would (contributions added to zero, then rounded; composite: each branch rounded, then their
     * sum), and picked per input with bit masks, because which inputs tie is data and branches on it mispredict.
     */
    private static void maxPoolBackward2x2(WorkerPool pool, float[] x, float[] dy, int planes, int h, int w,
                                           PoolPolicy policy, float[] dx, Format f) {
        int ho = h / 2, wo = w / 2, plane = h * w;
        boolean composite = policy.form() == PoolPolicy.Form.COMPOSITE;
        float beta = (float) policy.beta(), oneMinusBeta = 1 - beta;
        PoolPolicy.Kind kind = policy.kind();
        int tasks = WorkerPool.tasks((long) planes * plane, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, planes));
        pool.run(tasks, t -> {
            int[] tie = new int[4];
            for (int pl = WorkerPool.start(planes, tasks, t), end = WorkerPool.start(planes, tasks, t + 1); pl < end; pl++) {
                int in = pl * plane, out = pl * ho * wo;
                if (h % 2 == 1) java.util.Arrays.fill(dx, in + (h - 1) * w, in + plane, 0); // rows no window covers
                if (w % 2 == 1) for (int y = 0; y < h; y++) dx[in + y * w + w - 1] = 0;
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        int i0 = in + 2 * oy * w + 2 * ox;
                        float a = x[i0], b = x[i0 + 1], c = x[i0 + w], d = x[i0 + w + 1];
                        float m = Math.max(Math.max(a, b), Math.max(c, d));
                        int ea, eb, ec, ed;
                        if (m == m) {
                            ea = a == m ? 1 : 0;
                            eb = b == m ? 1 : 0;
                            ec = c == m ? 1 : 0;
                            ed = d == m ? 1 : 0;
                        } else { // NaN is the maximum and the NaN positions are the tie set
                            int k = tieSet(x, i0, w, 0, 2, 0, 2, tie);
                            ea = eb = ec = ed = 0;
                            for (int i = 0; i < k; i++) {
                                int r = tie[i] - i0;
                                if (r == 0) ea = 1; else if (r == 1) eb = 1; else if (r == w) ec = 1; else ed = 1;
                            }
                        }
                        int k = ea + eb + ec + ed;
                        int first = (1 - ea) * (1 + (1 - eb) * (1 + (1 - ec)));
                        int target = kind == PoolPolicy.Kind.LAST ? 3 - (1 - ed) * (1 + (1 - ec) * (1 + (1 - eb))) : first;
                        float gr = dy[out + oy * wo + ox], atTarget, atTie;
                        switch (kind) {
                            case FIRST:
                            case LAST: atTarget = f.round(0 + gr); atTie = 0; break;
                            case ALL: atTarget = atTie = f.round(0 + gr); break;
                            case MIN_NORM: atTarget = atTie = f.round(0 + gr / k); break;
                            default:
                                if (composite) {
                                    float share = f.round(0 + f.round(f.round(beta * gr) / k));
                                    atTie = f.round(share + 0);
                                    atTarget = f.round(share + f.round(0 + f.round(oneMinusBeta * gr)));
                                } else {
                                    float share = beta * gr / k;
                                    atTie = f.round(0 + share);
                                    atTarget = f.round(0 + (share + oneMinusBeta * gr));
                                }
                        }
                        /*bits*/int bt = Float.floatToRawIntBits(atTarget), bs = Float.floatToRawIntBits(atTie);
                        dx[i0] = pick(bt, bs, target == 0 ? 1 : 0, ea);
                        dx[i0 + 1] = pick(bt, bs, target == 1 ? 1 : 0, eb);
                        dx[i0 + w] = pick(bt, bs, target == 2 ? 1 : 0, ec);
                        dx[i0 + w + 1] = pick(bt, bs, target == 3 ? 1 : 0, ed);
                    }
                }
            }
        });
    }

    /** The target's value, else a tied input's, else +0 (target and tied are 0 or 1), without branching. */
    private static float pick(/*bits*/int atTarget, /*bits*/int atTie, int target, int tied) {
        return Float.intBitsToFloat((atTarget & -target) | (atTie & -(tied & (1 - target))));
    }

    /** Fills tie with the absolute indices of the window's maxima in row-major order; returns how many. */
    private static int tieSet(float[] x, int in, int w, int y0, int y1, int x0, int x1, int[] tie) {
        float m = Float.NEGATIVE_INFINITY;
        int k = 0;
        boolean nan = false;
        for (int iy = y0; iy < y1; iy++) {
            for (int ix = x0; ix < x1; ix++) {
                int idx = in + iy * w + ix;
                float v = x[idx];
                if (v != v) {
                    if (!nan) { nan = true; k = 0; }
                    tie[k++] = idx;
                } else if (!nan) {
                    if (v > m) { m = v; k = 0; tie[k++] = idx; } else if (v == m) tie[k++] = idx;
                }
            }
        }
        return k;
    }

    /**
     * Average pooling over windows given by their bounds: output (oy, ox) averages rows [rows[2oy], rows[2oy+1]) and
     * columns [cols[2ox], cols[2ox+1]), divided by divisor, or by the window's own area when divisor is 0. Covers
     * AvgPool2d (fixed kernel area, zero padding counted) and AdaptiveAvgPool2d (its own area).
     */
    static void avgPoolForward(WorkerPool pool, float[] x, int planes, int h, int w, int[] rows, int[] cols,
                               int divisor, float[] y, Format f) {
        int ho = rows.length / 2, wo = cols.length / 2;
        int tasks = WorkerPool.tasks((long) planes * h * w, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, planes));
        pool.run(tasks, t -> {
            for (int pl = WorkerPool.start(planes, tasks, t), end = WorkerPool.start(planes, tasks, t + 1); pl < end; pl++) {
                int in = pl * h * w, out = pl * ho * wo;
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        int y0 = rows[2 * oy], y1 = rows[2 * oy + 1], x0 = cols[2 * ox], x1 = cols[2 * ox + 1];
                        float acc = 0;
                        for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) acc += x[in + iy * w + ix];
                        float area = divisor != 0 ? divisor : (y1 - y0) * (x1 - x0);
                        y[out + oy * wo + ox] = f.round(acc / area);
                    }
                }
            }
        });
    }

    static void avgPoolBackward(WorkerPool pool, float[] dy, int planes, int h, int w, int[] rows, int[] cols,
                                int divisor, float[] dx, Format f) {
        int ho = rows.length / 2, wo = cols.length / 2;
        int tasks = WorkerPool.tasks((long) planes * h * w, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, planes));
        pool.run(tasks, t -> {
            for (int pl = WorkerPool.start(planes, tasks, t), end = WorkerPool.start(planes, tasks, t + 1); pl < end; pl++) {
                int in = pl * h * w, out = pl * ho * wo;
                java.util.Arrays.fill(dx, in, in + h * w, 0);
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        int y0 = rows[2 * oy], y1 = rows[2 * oy + 1], x0 = cols[2 * ox], x1 = cols[2 * ox + 1];
                        float area = divisor != 0 ? divisor : (y1 - y0) * (x1 - x0);
                        float share = dy[out + oy * wo + ox] / area;
                        for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) dx[in + iy * w + ix] += share;
                    }
                }
                f.roundInPlace(dx, in, h * w);
            }
        });
    }

    // ---- batch norm ------------------------------------------------------------------------------------------

    /**
     * Batch norm forward over x [batch, channels, spatial]. Statistics accumulate in this file's type (binary32 for
     * fp16 too); y = x * a + b with a = gamma * invstd, b = beta - mean * a (PyTorch's CPU form), rounded once.
     */
    static void batchNormForward(WorkerPool pool, float[] x, int batch, int channels, int spatial, float[] gamma,
                                 float[] betaParam, float[] runMean, float[] runVar, boolean training,
                                 float momentum, float eps, float[] y, float[] saveMean, float[] saveInvStd,
                                 Format f) {
        int count = batch * spatial;
        int tasks = WorkerPool.tasks((long) batch * channels * spatial, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, channels));
        pool.run(tasks, t -> {
            float[] part = new float[batch];
            for (int c = WorkerPool.start(channels, tasks, t), end = WorkerPool.start(channels, tasks, t + 1); c < end; c++) {
                float mean, invStd;
                if (training) {
                    for (int n = 0; n < batch; n++) part[n] = sum(x, (n * channels + c) * spatial, spatial);
                    mean = sum(part, 0, batch) / count;
                    for (int n = 0; n < batch; n++) part[n] = sumSquaredDeviation(x, (n * channels + c) * spatial, spatial, mean);
                    float sq = sum(part, 0, batch);
                    invStd = (float) (1 / Math.sqrt(sq / count + eps));
                    saveMean[c] = mean;
                    saveInvStd[c] = invStd;
                    float unbiased = count > 1 ? sq / (count - 1) : Float.NaN;
                    runMean[c] = f.round((1 - momentum) * runMean[c] + momentum * mean);
                    runVar[c] = f.round((1 - momentum) * runVar[c] + momentum * unbiased);
                } else {
                    mean = runMean[c];
                    invStd = (float) (1 / Math.sqrt(runVar[c] + eps));
                }
                float a = gamma[c] * invStd, b = betaParam[c] - mean * a;
                for (int n = 0; n < batch; n++) {
                    int off = (n * channels + c) * spatial;
                    for (int i = off; i < off + spatial; i++) y[i] = f.round(x[i] * a + b);
                }
            }
        });
    }

    /** Training-mode batch norm backward (PyTorch's CPU formula), rounded once per output. */
    static void batchNormBackward(WorkerPool pool, float[] x, int batch, int channels, int spatial, float[] gamma,
                                  float[] dy, float[] saveMean, float[] saveInvStd, float[] dx, float[] dgamma,
                                  float[] dbeta, Format f) {
        int count = batch * spatial;
        int tasks = WorkerPool.tasks((long) batch * channels * spatial, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, channels));
        pool.run(tasks, t -> {
            float[] part = new float[batch];
            for (int c = WorkerPool.start(channels, tasks, t), end = WorkerPool.start(channels, tasks, t + 1); c < end; c++) {
                float mean = saveMean[c], invStd = saveInvStd[c];
                for (int n = 0; n < batch; n++) part[n] = sum(dy, (n * channels + c) * spatial, spatial);
                float sumDy = sum(part, 0, batch);
                for (int n = 0; n < batch; n++) {
                    part[n] = sumDeviationTimes(x, dy, (n * channels + c) * spatial, spatial, mean);
                }
                float dot = sum(part, 0, batch);
                dgamma[c] = f.round(dot * invStd);
                dbeta[c] = f.round(sumDy);
                float gradMean = sumDy / count;
                float projScale = dot / count * invStd * invStd;
                float gradScale = invStd * gamma[c];
                for (int n = 0; n < batch; n++) {
                    int off = (n * channels + c) * spatial;
                    for (int i = off; i < off + spatial; i++) {
                        dx[i] = f.round((dy[i] - (x[i] - mean) * projScale - gradMean) * gradScale);
                    }
                }
            }
        });
    }

    // ---- loss ------------------------------------------------------------------------------------------------

    /**
     * Mean softmax cross-entropy of logits [batch, classes]; writes dlogits = scale * (softmax - onehot) / batch
     * when dlogits is not null; correct[0] receives how many rows have their first maximum at the label.
     */
    static float softmaxCrossEntropy(float[] logits, int batch, int classes, int[] labels, float scale,
                                     float[] dlogits, int[] correct, Format f) {
        float total = 0;
        int right = 0;
        for (int n = 0; n < batch; n++) {
            int row = n * classes, label = labels[n];
            float max = Float.NEGATIVE_INFINITY;
            int arg = 0;
            for (int j = 0; j < classes; j++) {
                float v = logits[row + j];
                if (v > max || v != v) { max = v; arg = j; if (v != v) break; }
            }
            if (arg == label) right++;
            float sumExp = 0;
            for (int j = 0; j < classes; j++) sumExp += (float) StrictMath.exp(logits[row + j] - max);
            float logSum = (float) StrictMath.log(sumExp);
            total += logSum - (logits[row + label] - max);
            if (dlogits != null) {
                float factor = scale / batch;
                for (int j = 0; j < classes; j++) {
                    float prob = (float) StrictMath.exp(logits[row + j] - max) / sumExp;
                    dlogits[row + j] = f.round((prob - (j == label ? 1 : 0)) * factor);
                }
            }
        }
        correct[0] = right;
        return f.round(total / batch);
    }

    // ---- optimizers ------------------------------------------------------------------------------------------

    /** torch.optim.SGD's single-tensor step, each PyTorch op rounded once to f. */
    static void sgdUpdate(WorkerPool pool, float[] p, float[] g, float[] buf, int n, float lr, float momentum,
                          float dampening, float weightDecay, boolean nesterov, boolean firstStep, Format f) {
        float keep = 1 - dampening;
        int tasks = WorkerPool.tasks(n, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            for (int i = WorkerPool.start(n, tasks, t), end = WorkerPool.start(n, tasks, t + 1); i < end; i++) {
                float d = weightDecay != 0 ? f.round(g[i] + weightDecay * p[i]) : g[i];
                if (buf != null) {
                    float b = firstStep ? d : f.round(f.round(momentum * buf[i]) + keep * d);
                    buf[i] = b;
                    d = nesterov ? f.round(d + momentum * b) : b;
                }
                p[i] = f.round(p[i] - lr * d);
            }
        });
    }

    /**
     * torch.optim.Adam's single-tensor step: exp_avg.lerp_(g, 1-beta1); exp_avg_sq.mul_(beta2).addcmul_(g, g,
     * 1-beta2); denom = exp_avg_sq.sqrt() / bc2sqrt + eps; p.addcdiv_(exp_avg, denom, -stepSize).
     */
    static void adamUpdate(WorkerPool pool, float[] p, float[] g, float[] m, float[] v, int n, float stepSize,
                           float oneMinusBeta1, float beta2, float oneMinusBeta2, float bc2Sqrt, float eps,
                           float weightDecay, Format f) {
        int tasks = WorkerPool.tasks(n, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            for (int i = WorkerPool.start(n, tasks, t), end = WorkerPool.start(n, tasks, t + 1); i < end; i++) {
                float gi = weightDecay != 0 ? f.round(g[i] + weightDecay * p[i]) : g[i];
                float mi = f.round(m[i] + oneMinusBeta1 * (gi - m[i]));
                float vi = f.round(f.round(beta2 * v[i]) + oneMinusBeta2 * gi * gi);
                m[i] = mi;
                v[i] = vi;
                float denom = f.round(f.round(f.round((float) Math.sqrt(vi)) / bc2Sqrt) + eps);
                p[i] = f.round(p[i] - stepSize * (mi / denom));
            }
        });
    }
}
