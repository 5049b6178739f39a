package io.tiebreak.runtime.backend.cpu;

import static io.tiebreak.runtime.backend.cpu.WorkerPool.ELEMENTWISE_GRAIN;
import static io.tiebreak.runtime.backend.cpu.WorkerPool.MAX_TASKS;

import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.precision.Precision.Format;
import io.tiebreak.runtime.precision.Reproducibility;

/**
 * GEMM (our fixed-order kernel in portable mode, the native BLAS in host mode), im2col/col2im, convolution and
 * linear: operands rounded to the matmul operand format where mixed precision asks for it, outputs rounded once to
 * the matmul format.
 *
 * <p>Written on binary32 arrays; the build generates the fp64 twin DoubleMatmulKernels from this file (see
 * package-info).
 */
final class FloatMatmulKernels {
    private FloatMatmulKernels() {}

    /** GEMM multiply-adds per task (host mode), at least. */
    private static final long GEMM_GRAIN = 1L << 21;
    /**
     * Column blocks of a GEMM start at multiples of this, and im2col matrices are padded to it. OpenBLAS computes
     * the columns left over after its unroll width (16 on AVX-512) with edge kernels that round differently, so an
     * output would depend on where its patch sits in the batch, breaking exact ties that the inputs have.
     */
    static final int COLUMN_ALIGN = 64;

    /** n rounded up to a multiple of COLUMN_ALIGN. */
    static int aligned(int n) { return (n + COLUMN_ALIGN - 1) / COLUMN_ALIGN * COLUMN_ALIGN; }

    /** Elements after an input gradient's column matrix, so that col2im may read a whole vector past any entry. */
    static final int COL_SLACK = 16;

    /**
     * Row-major C[m,n] = op(A)[m,k] op(B)[k,n] (C overwritten). Portable mode: our fixed-order GEMM, which splits the
     * work itself (docs/design.md, "Reproducibility"). Host mode: the native BLAS, one thread per call (column-major:
     * C^T = op(B)^T op(A)^T); large products are split over rows or columns of C; products with a small C and a long
     * k (weight gradients) are split over k, and the partial products are added to C in task order.
     */
    static void gemm(Reproducibility r, WorkerPool pool, boolean ta, boolean tb, int m, int n, int k, float[] a,
                     int lda, float[] b, int ldb, float[] c, int ldc) {
        if (m == 0 || n == 0) return;
        if (r == Reproducibility.PORTABLE) {
            FloatGemmKernels.gemm(pool, ta, tb, m, n, k, a, 0, lda, b, 0, ldb, c, 0, ldc);
            return;
        }
        int tasks = WorkerPool.tasks((long) m * n * k, GEMM_GRAIN, MAX_TASKS);
        // Each task packs the operand it shares with the others again: keep blocks at least 64 wide, and split a
        // long k instead when C is small (weight gradients: C is weights-sized, k is batch x pixels).
        int byN = Math.min(tasks, n / 64), byM = Math.min(tasks, m / 64);
        if (tasks > 1 && k >= 8 * Math.max(m, n) && (long) m * n <= 1 << 18) {
            gemmSplitK(pool, tasks, ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
        } else if (byN >= 2 && byN >= byM) {
            pool.run(byN, t -> {
                int j0 = columnStart(n, byN, t), j1 = columnStart(n, byN, t + 1);
                blas(ta, tb, m, j1 - j0, k, a, 0, lda, b, tb ? j0 * ldb : j0, ldb, c, j0, ldc);
            });
        } else if (byM >= 2) {
            pool.run(byM, t -> {
                int i0 = WorkerPool.start(m, byM, t), i1 = WorkerPool.start(m, byM, t + 1);
                blas(ta, tb, i1 - i0, n, k, a, ta ? i0 : i0 * lda, lda, b, 0, ldb, c, i0 * ldc, ldc);
            });
        } else {
            blas(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, c, 0, ldc);
        }
    }

    /** Start of column block t of parts: a multiple of COLUMN_ALIGN, except that the last block ends at n. */
    private static int columnStart(int n, int parts, int t) {
        return t == parts ? n : WorkerPool.start(n, parts, t) / COLUMN_ALIGN * COLUMN_ALIGN;
    }

    private static void gemmSplitK(WorkerPool pool, int tasks, boolean ta, boolean tb, int m, int n, int k, float[] a,
                                   int lda, float[] b, int ldb, float[] c, int ldc) {
        float[][] partial = new float[tasks][];
        pool.run(tasks, t -> {
            int k0 = WorkerPool.start(k, tasks, t), k1 = WorkerPool.start(k, tasks, t + 1);
            float[] p = new float[m * n];
            blas(ta, tb, m, n, k1 - k0, a, ta ? k0 * lda : k0, lda, b, tb ? k0 : k0 * ldb, ldb, p, 0, n);
            partial[t] = p;
        });
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = partial[0][i * n + j];
                for (int t = 1; t < tasks; t++) s += partial[t][i * n + j];
                c[i * ldc + j] = s;
            }
        }
    }

    /** One thread's row-major C = op(A) op(B) through the native BLAS. */
    private static void blas(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda, float[] b,
                             int bOff, int ldb, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        NativeBlas.blas().sgemm(tb ? "T" : "N", ta ? "T" : "N", n, m, k, 1, b, bOff, ldb, a, aOff, lda, 0, c, cOff,
                ldc);
    }

    // ---- convolution -----------------------------------------------------------------------------------------

    /**
     * im2col for images [n0, n1): col[r][(n-n0)*P + oy*Wo + ox] = x[n, c, oy*sh - ph + ky, ox*sw - pw + kx] (0 in the
     * padding), with r = (c*kh + ky)*kw + kx and P = Ho*Wo; rows are aligned((n1-n0)*P) long, zero past the last
     * pixel. Values are rounded to {@code operand} unless it is null. Tasks own ranges of rows.
     */
    private static void im2col(WorkerPool pool, float[] x, int n0, int n1, int h, int w, ConvGeometry g, float[] col,
                               Format operand) {
        int np = (n1 - n0) * g.outH(h) * g.outW(w), ld = aligned(np), rows = g.patchSize();
        int tasks = WorkerPool.tasks((long) rows * np, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            int r0 = WorkerPool.start(rows, tasks, t), r1 = WorkerPool.start(rows, tasks, t + 1);
            im2col(x, n0, n1, r0, r1, h, w, g, col, ld, operand);
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
     * dx[n,c,iy,ix] for images [n0, n1) = the sum of the col entries that im2col copied from there (dx overwritten),
     * rounded to out; col has im2col's layout for those images. Tasks own ranges of images.
     */
    private static void col2im(WorkerPool pool, float[] col, int n0, int n1, int h, int w, ConvGeometry g, float[] dx,
                               Format out) {
        int p = g.outH(h) * g.outW(w), ld = aligned((n1 - n0) * p), images = n1 - n0;
        int tasks = WorkerPool.tasks((long) images * g.patchSize() * p, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, images));
        pool.run(tasks, t -> {
            int a = n0 + WorkerPool.start(images, tasks, t), e = n0 + WorkerPool.start(images, tasks, t + 1);
            col2im(col, (a - n0) * p, ld, a, e, h, w, g, dx, out);
        });
    }

    /**
     * col2im for images [n0, n1) whose columns start at col[r * ld + first]. Rows of col are the outer loop so col is
     * read sequentially (reading it image by image jumps a whole row per 256 bytes and is several times slower).
     * Where the Vector API runs, stride-1 col2im goes a row of dx at a time instead, its sums in registers
     * ({@link FloatVectorConvKernels#col2imRow}): the same terms in the same order for each element, without
     * adding into dx once per patch row (LeNet-5's second layer: rows of 12 inputs and 8 outputs, short loops,
     * and stores that the next row's loads overlap).
     */
    private static void col2im(float[] col, int first, int ld, int n0, int n1, int h, int w, ConvGeometry g, float[] dx,
                               Format out) {
        int ho = g.outH(h), wo = g.outW(w), p = ho * wo;
        int kk = g.kernelH() * g.kernelW(), cin = g.inChannels(), plane = h * w, sw = g.strideW();
        if (VectorApi.ENABLED && sw == 1 && g.strideH() == 1) {
            int[] at = new int[kk];
            float[] tail = new float[COL_SLACK];
            for (int n = n0; n < n1; n++) {
                for (int c = 0; c < cin; c++) {
                    for (int q = 0; q < kk; q++) at[q] = (c * kk + q) * ld + first + (n - n0) * p;
                    for (int iy = 0, dst = (n * cin + c) * plane; iy < h; iy++, dst += w) {
                        FloatVectorConvKernels.col2imRow(col, at, g.kernelH(), g.kernelW(), g.padH(), g.padW(), iy, ho,
                                wo, w, dx, dst, n1 * cin * plane, tail);
                    }
                }
            }
            out.roundInPlace(dx, n0 * cin * plane, (n1 - n0) * cin * plane);
            return;
        }
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
     * y = conv(x, w) + b, rounded once to mm: per range of images, im2col and one GEMM, then bias, rounding and the
     * NCHW layout in one pass (or, in portable mode with the Vector API, the same sums straight from the padded
     * images: {@link #directForward}). operand is the format x, w, b (and dy in backward) are rounded to before the
     * product, or null when they already are (all but mixed, where autocast hands conv and linear binary16 copies of
     * all their inputs).
     */
    static void conv2dForward(Reproducibility r, WorkerPool pool, Scratch s, float[] x, int batch, int h, int w,
                              float[] wt, float[] b, ConvGeometry g, float[] y, Format mm, Format operand) {
        float[] wm = operand != null ? roundedCopy(wt, s.floats(3, wt.length), operand) : wt;
        if (byImageChunks(g, h, w)) {
            int tasks = imageChunks(batch), cout = g.outChannels(), ck = g.patchSize();
            if (direct(r, g)) {
                float[] packed = s.floats(5, FloatVectorGemmKernels.paddedRows(cout) * ck);
                FloatVectorGemmKernels.packA(false, wm, ck, cout, ck, packed);
                int[] off = patchOffsets(g, h, w);
                pool.run(tasks, t -> directForward(s.local(), x, WorkerPool.start(batch, tasks, t),
                        WorkerPool.start(batch, tasks, t + 1), h, w, packed, off, b, g, y, mm, operand));
            } else {
                pool.run(tasks, t -> conv2dForward(r, pool, s.local(), x, WorkerPool.start(batch, tasks, t),
                        WorkerPool.start(batch, tasks, t + 1), h, w, wm, b, g, y, mm, operand));
            }
        } else {
            conv2dForward(r, pool, s, x, 0, batch, h, w, wm, b, g, y, mm, operand);
        }
    }

    /**
     * Portable mode with the Vector API computes stride-1 few-channel convolutions from zero-padded copies of the
     * images, without im2col matrices ({@link FloatVectorGemmKernels#shifted}, {@link FloatVectorConvKernels}).
     */
    private static boolean direct(Reproducibility r, ConvGeometry g) {
        return r == Reproducibility.PORTABLE && VectorApi.ENABLED && g.strideH() == 1 && g.strideW() == 1;
    }

    /** Where patch row p = (c, ky, kx) starts in a zero-padded image: c*hp*wp + ky*wp + kx. */
    private static int[] patchOffsets(ConvGeometry g, int h, int w) {
        int hp = h + 2 * g.padH(), wp = w + 2 * g.padW(), kh = g.kernelH(), kw = g.kernelW();
        int[] off = new int[g.patchSize()];
        for (int p = 0; p < off.length; p++) off[p] = p / (kh * kw) * hp * wp + p % (kh * kw) / kw * wp + p % kw;
        return off;
    }

    /**
     * Images [n0, n1) of x zero-padded to hp x wp (h + 2 padH, w + 2 padW) at xp[(n - n0) * cin*hp*wp], rounded to
     * operand unless null, then slack zeros.
     */
    private static void padImages(float[] x, int n0, int n1, int h, int w, ConvGeometry g, float[] xp, int slack,
                                  Format operand) {
        int hp = h + 2 * g.padH(), wp = w + 2 * g.padW(), cin = g.inChannels(), img = cin * hp * wp;
        java.util.Arrays.fill(xp, 0, (n1 - n0) * img + slack, 0);
        for (int n = n0; n < n1; n++) {
            for (int c = 0; c < cin; c++) {
                for (int iy = 0; iy < h; iy++) {
                    int dst = (n - n0) * img + c * hp * wp + (iy + g.padH()) * wp + g.padW();
                    System.arraycopy(x, ((n * cin + c) * h + iy) * w, xp, dst, w);
                    if (operand != null) operand.roundInPlace(xp, dst, w);
                }
            }
        }
    }

    /**
     * conv2dForward of images [n0, n1) from padded copies: each output channel's sums over the padded image's row
     * grid (wp wide, of which the first wo columns are outputs), in the GEMM's order, then bias, rounding and NCHW.
     * packed holds the weights as {@link FloatVectorGemmKernels#packA} lays them out.
     */
    private static void directForward(Scratch s, float[] x, int n0, int n1, int h, int w, float[] packed, int[] off,
                                      float[] b, ConvGeometry g, float[] y, Format mm, Format operand) {
        int hp = h + 2 * g.padH(), wp = w + 2 * g.padW(), img = g.inChannels() * hp * wp, ho = g.outH(h), wo = g.outW(w);
        int cout = g.outChannels(), ck = g.patchSize(), cols = FloatVectorGemmKernels.paddedColumns(ho * wp);
        float[] xp = s.floats(0, (n1 - n0) * img + cols), grid = s.floats(2, FloatVectorGemmKernels.paddedRows(cout) * cols);
        padImages(x, n0, n1, h, w, g, xp, cols, operand);
        for (int n = n0; n < n1; n++) {
            FloatVectorGemmKernels.shifted(packed, cout, ck, xp, (n - n0) * img, off, ho * wp, grid, 0, cols);
            for (int o = 0; o < cout; o++) {
                float bias = b == null ? 0 : operand != null ? operand.round(b[o]) : b[o];
                for (int oy = 0; oy < ho; oy++) {
                    int src = o * cols + oy * wp, dst = ((n * cout + o) * ho + oy) * wo;
                    for (int ox = 0; ox < wo; ox++) y[dst + ox] = mm.round(grid[src + ox] + bias);
                }
            }
        }
    }

    /** conv2dForward for images [n0, n1), with the weights already in the operand format. */
    private static void conv2dForward(Reproducibility r, WorkerPool pool, Scratch s, float[] x, int n0, int n1, int h,
                                      int w, float[] wm, float[] b, ConvGeometry g, float[] y, Format mm,
                                      Format operand) {
        int p = g.outH(h) * g.outW(w), images = n1 - n0, ld = aligned(images * p), ck = g.patchSize();
        int cout = g.outChannels();
        float[] col = s.floats(0, ck * ld), yt = s.floats(2, cout * ld);
        im2col(pool, x, n0, n1, h, w, g, col, operand);
        gemm(r, pool, false, false, cout, ld, ck, wm, ck, col, ld, yt, ld);
        int tasks = WorkerPool.tasks((long) cout * images * p, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, images));
        pool.run(tasks, t -> {
            for (int n = WorkerPool.start(images, tasks, t), end = WorkerPool.start(images, tasks, t + 1); n < end; n++) {
                for (int o = 0; o < cout; o++) {
                    float bias = b == null ? 0 : operand != null ? operand.round(b[o]) : b[o];
                    int src = o * ld + n * p, dst = ((n0 + n) * cout + o) * p;
                    for (int i = 0; i < p; i++) y[dst + i] = mm.round(yt[src + i] + bias);
                }
            }
        });
    }

    /**
     * Gradients of conv2dForward; dx and db may be null. All rounded once to mm. Stride-1 few-channel layers in
     * portable mode sum each weight gradient element in {@link #LANES} lanes per chunk of images (see there); others
     * through one GEMM.
     */
    static void conv2dBackward(Reproducibility r, WorkerPool pool, Scratch s, float[] x, int batch, int h, int w,
                               float[] wt, float[] dy, ConvGeometry g, float[] dx, float[] dw, float[] db, Format mm,
                               Format operand) {
        float[] wm = operand != null ? roundedCopy(wt, s.floats(3, wt.length), operand) : wt;
        int size = g.outChannels() * g.patchSize();
        if (byImageChunks(g, h, w)) {
            int tasks = imageChunks(batch);
            boolean lanes = r == Reproducibility.PORTABLE && g.strideH() == 1 && g.strideW() == 1;
            float[][] dwPart = new float[tasks][];
            pool.run(tasks, t -> {
                dwPart[t] = new float[size];
                conv2dBackward(r, pool, s.local(), x, WorkerPool.start(batch, tasks, t),
                        WorkerPool.start(batch, tasks, t + 1), h, w, wm, dy, g, dx, dwPart[t], lanes, mm, operand);
            });
            for (int i = 0; i < size; i++) {
                float acc = dwPart[0][i];
                for (int t = 1; t < tasks; t++) acc += dwPart[t][i];
                dw[i] = acc;
            }
        } else {
            conv2dBackward(r, pool, s, x, 0, batch, h, w, wm, dy, g, dx, dw, false, mm, operand);
        }
        mm.roundInPlace(dw, 0, size);
        if (db != null) biasGradient(pool, s, dy, batch, g.outChannels(), g.outH(h) * g.outW(w), db, mm, operand);
    }

    /**
     * conv2dBackward for images [n0, n1): dw = their weight gradient (not yet rounded; in lanes or through a GEMM),
     * dx for them unless null. dy of these images goes to the GEMMs' layout [cout][pixels] first.
     */
    private static void conv2dBackward(Reproducibility r, WorkerPool pool, Scratch s, float[] x, int n0, int n1, int h,
                                       int w, float[] wm, float[] dy, ConvGeometry g, float[] dx, float[] dw,
                                       boolean lanes, Format mm, Format operand) {
        int p = g.outH(h) * g.outW(w), images = n1 - n0, np = images * p, ld = aligned(np), ck = g.patchSize();
        int cout = g.outChannels();
        if (lanes) weightGradientLanes(s, x, n0, n1, h, w, dy, g, dw, operand);
        if (lanes && dx == null) return;
        float[] dyt = s.floats(2, cout * ld);
        int tasks = WorkerPool.tasks((long) cout * np, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, cout));
        pool.run(tasks, t -> {
            for (int o = WorkerPool.start(cout, tasks, t), end = WorkerPool.start(cout, tasks, t + 1); o < end; o++) {
                for (int n = 0; n < images; n++) System.arraycopy(dy, ((n0 + n) * cout + o) * p, dyt, o * ld + n * p, p);
                java.util.Arrays.fill(dyt, o * ld + np, (o + 1) * ld, 0);
                if (operand != null) operand.roundInPlace(dyt, o * ld, np);
            }
        });
        if (!lanes) {
            float[] col = s.floats(0, ck * ld);
            im2col(pool, x, n0, n1, h, w, g, col, operand);
            gemm(r, pool, false, true, cout, ck, ld, dyt, ld, col, ld, dw, ck);
        }
        if (dx != null) {
            float[] dcol = s.floats(1, ck * ld + COL_SLACK);
            gemm(r, pool, true, false, ck, ld, cout, wm, ck, dyt, ld, dcol, ld);
            col2im(pool, dcol, n0, n1, h, w, g, dx, mm);
        }
    }

    /**
     * Lanes of a weight gradient element in portable stride-1 few-channel convolutions: 16 in binary32, 8 in binary64
     * (one 512-bit vector). Element (o, p) sums dy(o, q) * x(p, q) over the chunk's output pixels laid on the padded
     * input's rows (q = oy*wp + ox per image, images in order; the columns ox >= wo past each row's outputs, and the
     * positions that round each image up to a multiple of LANES, carry dy = 0): lane l takes q mod LANES = l, with
     * fma in order, then the lanes are added pairwise ({@link #laneSum}). Along the pixels both operands are
     * contiguous in memory, so no transposed im2col matrix is built.
     */
    static final int LANES = 64 / Float.BYTES;

    /** dw (unrounded) of images [n0, n1) in the lane order, from padded copies of the images. */
    private static void weightGradientLanes(Scratch s, float[] x, int n0, int n1, int h, int w, float[] dy,
                                            ConvGeometry g, float[] dw, Format operand) {
        int hp = h + 2 * g.padH(), wp = w + 2 * g.padW(), img = g.inChannels() * hp * wp, ho = g.outH(h), wo = g.outW(w);
        int images = n1 - n0, cout = g.outChannels(), ck = g.patchSize(), p = ho * wo;
        int grid = (ho * wp + LANES - 1) / LANES * LANES, n = images * grid;
        float[] xp = s.floats(0, images * img + g.kernelW() + LANES), dyw = s.floats(1, cout * n);
        padImages(x, n0, n1, h, w, g, xp, g.kernelW() + LANES, operand);
        java.util.Arrays.fill(dyw, 0, cout * n, 0);
        for (int o = 0; o < cout; o++) {
            for (int i = 0; i < images; i++) {
                for (int oy = 0; oy < ho; oy++) {
                    int dst = o * n + i * grid + oy * wp;
                    System.arraycopy(dy, ((n0 + i) * cout + o) * p + oy * wo, dyw, dst, wo);
                    if (operand != null) operand.roundInPlace(dyw, dst, wo);
                }
            }
        }
        int[] at = new int[n / LANES], off = patchOffsets(g, h, w);
        for (int v = 0; v < at.length; v++) at[v] = v * LANES / grid * img + v * LANES % grid;
        float[] sums = s.floats(5, cout * ck * LANES);
        if (VectorApi.ENABLED && FloatVectorConvKernels.supported()) {
            FloatVectorConvKernels.weightGradientLanes(dyw, n, cout, xp, at, off, ck, n, sums);
        } else {
            for (int o = 0; o < cout; o++) {
                for (int q = 0; q < ck; q++) {
                    int lane = (o * ck + q) * LANES;
                    java.util.Arrays.fill(sums, lane, lane + LANES, 0);
                    for (int v = 0; v < at.length; v++) {
                        for (int l = 0, d = o * n + v * LANES, i = at[v] + off[q]; l < LANES; l++) {
                            sums[lane + l] = Math.fma(dyw[d + l], xp[i + l], sums[lane + l]);
                        }
                    }
                }
            }
        }
        for (int i = 0; i < cout * ck; i++) dw[i] = laneSum(sums, i * LANES, LANES);
    }

    /** The n lanes at a[off] (a power of two), added pairwise, in place: ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + ...). */
    private static float laneSum(float[] a, int off, int n) {
        for (int w = n / 2; w >= 1; w /= 2) {
            for (int i = 0; i < w; i++) a[off + i] = a[off + 2 * i] + a[off + 2 * i + 1];
        }
        return a[off];
    }

    /**
     * Layers with few input channels (LeNet-5's, VGG's first) have a short im2col matrix and many output pixels:
     * there each task takes a chunk of images and runs the layer on them alone, in cache, instead of batch-wide
     * matrices with GEMMs split across tasks. Output pixels per image must be a multiple of COLUMN_ALIGN so every
     * pixel goes through the same BLAS kernel (host mode).
     */
    private static boolean byImageChunks(ConvGeometry g, int h, int w) {
        return g.outH(h) * g.outW(w) % COLUMN_ALIGN == 0 && g.patchSize() <= 256;
    }

    /** Image chunks: at most MAX_TASKS, fixed by the batch size alone. */
    private static int imageChunks(int batch) { return Math.min(MAX_TASKS, batch); }

    /**
     * db[o] = sum of dy[., o, .] in one fixed order, gathered per channel into one row [n*P] (the order the CUDA
     * kernel follows too).
     */
    private static void biasGradient(WorkerPool pool, Scratch s, float[] dy, int batch, int cout, int p, float[] db,
                                     Format mm, Format operand) {
        int np = batch * p, tasks = WorkerPool.tasks((long) cout * np, ELEMENTWISE_GRAIN, Math.min(MAX_TASKS, cout));
        pool.run(tasks, t -> {
            float[] channel = s.local().floats(4, np);
            for (int o = WorkerPool.start(cout, tasks, t), end = WorkerPool.start(cout, tasks, t + 1); o < end; o++) {
                for (int n = 0; n < batch; n++) System.arraycopy(dy, (n * cout + o) * p, channel, n * p, p);
                if (operand != null) operand.roundInPlace(channel, 0, np);
                db[o] = mm.round(FloatSumKernels.sum(channel, 0, np));
            }
        });
    }

    /** y = x w^T + b, rounded once to mm. x [batch,in], w [out,in]. */
    static void linearForward(Reproducibility r, WorkerPool pool, Scratch s, float[] x, int batch, int in, float[] wt,
                              int out, float[] b, float[] y, Format mm, Format operand) {
        float[] xm = operand != null ? roundedCopy(x, s.floats(0, batch * in), operand) : x;
        float[] wm = operand != null ? roundedCopy(wt, s.floats(3, out * in), operand) : wt;
        gemm(r, pool, false, true, batch, out, in, xm, in, wm, in, y, out);
        for (int j = 0; j < out; j++) {
            float bias = b == null ? 0 : operand != null ? operand.round(b[j]) : b[j];
            for (int n = 0; n < batch; n++) y[n * out + j] = mm.round(y[n * out + j] + bias);
        }
    }

    /** dx = dy w, dw = dy^T x, db = column sums of dy; dx and db may be null. */
    static void linearBackward(Reproducibility r, WorkerPool pool, Scratch s, float[] x, int batch, int in, float[] wt, int out,
                               float[] dy, float[] dx, float[] dw, float[] db, Format mm, Format operand) {
        float[] xm = operand != null ? roundedCopy(x, s.floats(0, batch * in), operand) : x;
        float[] wm = operand != null ? roundedCopy(wt, s.floats(3, out * in), operand) : wt;
        float[] dym = operand != null ? roundedCopy(dy, s.floats(2, batch * out), operand) : dy;
        gemm(r, pool, true, false, out, in, batch, dym, out, xm, in, dw, in);
        mm.roundInPlace(dw, 0, out * in);
        if (db != null) {
            for (int j = 0; j < out; j++) db[j] = 0;
            for (int n = 0; n < batch; n++) for (int j = 0; j < out; j++) db[j] += dym[n * out + j];
            mm.roundInPlace(db, 0, out);
        }
        if (dx != null) {
            gemm(r, pool, false, false, batch, in, out, dym, out, wm, in, dx, in);
            mm.roundInPlace(dx, 0, batch * in);
        }
    }

    private static float[] roundedCopy(float[] src, float[] dst, Format f) {
        System.arraycopy(src, 0, dst, 0, src.length);
        f.roundInPlace(dst, 0, src.length);
        return dst;
    }
}
