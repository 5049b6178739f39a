package io.tiebreak.runtime.backend.cpu;

import static jdk.incubator.vector.VectorOperators.FMA;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The portable GEMM's fast driver ({@link FloatGemmKernels#gemm}, same order, same bits), on the JDK's Vector API:
 * loaded only when the JVM has jdk.incubator.vector ({@link VectorApi}).
 *
 * <p>Operands are packed into strips, op(A) into strips of MR rows and op(B) into strips of NR columns, each in
 * blocks of KC steps of the sum ([kc][MR] and [kc][NR]), and a micro-kernel keeps an MR x NR tile of C in vector
 * registers while it runs through a block: one fused multiply-add per element and step, s = fma(a[i,p], b[p,j], s),
 * each lane its own element. Between blocks the tile's partial sums wait in C, exactly. Strips are padded with
 * zeros past the matrix's edge; edge tiles go through a tile buffer.
 *
 * <p>The build generates {@code DoubleVectorGemmKernels} (fp64) from this file (gpu-runtime/pom.xml).
 */
final class FloatVectorGemmKernels {
    private FloatVectorGemmKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * The tile: 8 rows x 3 vectors (24 accumulators) with 512-bit vectors, which come with 32 vector registers
     * (AVX-512); else 6 rows x 2 vectors (12 accumulators: AVX2 has 16 registers).
     */
    private static final boolean WIDE = S.vectorBitSize() >= 512;
    static final int MR = WIDE ? 8 : 6, NR = (WIDE ? 3 : 2) * L;
    /** Steps of the sum per block: a tile's partial sums go to C and back once per block. */
    private static final int KC = 256;
    /** Multiply-adds per task, at least. */
    private static final long GRAIN = 1L << 21;

    /** The calling thread's shared packed operand; each thread's own packed strip and edge tile. */
    private static final ThreadLocal<float[]> SHARED = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[][]> OWN =
            ThreadLocal.withInitial(() -> new float[][] {new float[KC * Math.max(MR, NR)], new float[MR * NR]});

    /**
     * C = op(A) op(B), as {@link FloatGemmKernels#gemm}, split into tasks by shape: the smaller operand is packed
     * once and shared; each task takes strips of the other (columns of C when op(A) is the smaller, else rows) and
     * packs them itself. Every tile runs through the whole sum, so the split never changes a bit.
     */
    static void gemm(WorkerPool pool, boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda,
                     float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        if (k == 0) {
            for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0);
            return;
        }
        int rowStrips = (m + MR - 1) / MR, colStrips = (n + NR - 1) / NR;
        int tasks = WorkerPool.tasks((long) m * n * k, GRAIN, WorkerPool.MAX_TASKS);
        boolean shareA = m <= n;
        int strips = shareA ? rowStrips : colStrips, width = shareA ? MR : NR;
        float[] shared = SHARED.get();
        if (shared.length < strips * width * k) SHARED.set(shared = new float[strips * width * k]);
        float[] packed = shared;
        int packTasks = WorkerPool.tasks((long) strips * width * k, WorkerPool.ELEMENTWISE_GRAIN, WorkerPool.MAX_TASKS);
        pool.run(packTasks, t -> {
            for (int s = WorkerPool.start(strips, packTasks, t), end = WorkerPool.start(strips, packTasks, t + 1);
                 s < end; s++) {
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc), off = pc * strips * width + s * width * kc;
                    if (shareA) packA(ta, a, aOff, lda, m, s * MR, pc, kc, packed, off);
                    else packB(tb, b, bOff, ldb, n, s * NR, pc, kc, packed, off);
                }
            }
        });
        int others = shareA ? colStrips : rowStrips, parts = Math.min(tasks, others);
        pool.run(parts, t -> {
            float[][] own = OWN.get();
            float[] strip = own[0], tile = own[1];
            for (int o = WorkerPool.start(others, parts, t), end = WorkerPool.start(others, parts, t + 1); o < end; o++) {
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc), block = pc * strips * width;
                    if (shareA) {
                        packB(tb, b, bOff, ldb, n, o * NR, pc, kc, strip, 0);
                        for (int s = 0; s < strips; s++) {
                            tile(packed, block + s * MR * kc, strip, 0, kc, c, cOff, ldc, m, n, s * MR, o * NR, pc > 0, tile);
                        }
                    } else {
                        packA(ta, a, aOff, lda, m, o * MR, pc, kc, strip, 0);
                        for (int s = 0; s < strips; s++) {
                            tile(strip, 0, packed, block + s * NR * kc, kc, c, cOff, ldc, m, n, o * MR, s * NR, pc > 0, tile);
                        }
                    }
                }
            }
        });
    }

    /** Rows of op(A) and columns of C a caller pads its matrices to for {@link #shifted}. */
    static int paddedRows(int m) { return (m + MR - 1) / MR * MR; }
    static int paddedColumns(int n) { return (n + NR - 1) / NR * NR; }

    /** op(A) [m,k] packed for {@link #shifted}: paddedRows(m) * k values at dst[0]. */
    static void packA(boolean ta, float[] a, int lda, int m, int k, float[] dst) {
        int strips = paddedRows(m) / MR;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            for (int s = 0; s < strips; s++) packA(ta, a, 0, lda, m, s * MR, pc, kc, dst, pc * strips * MR + s * MR * kc);
        }
    }

    /**
     * C[i, q] = sum over p of op(A)[i, p] * b[bo + q + rows[p]] for q < n, in the order of {@link FloatGemmKernels#gemm}:
     * a product whose B rows are windows of one array, as a stride-1 convolution reads its input (row p = input
     * channel and kernel offset; q = output pixel on the input's row grid). a is packed ({@link #packA}); C has
     * paddedRows(m) rows of at least paddedColumns(n) values (all its tiles are whole), and b is readable up to
     * bo + paddedColumns(n) + max(rows).
     */
    static void shifted(float[] a, int m, int k, float[] b, int bo, int[] rows, int n, float[] c, int cOff, int ldc) {
        int strips = paddedRows(m) / MR;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            for (int q = 0; q < n; q += NR) {
                for (int s = 0; s < strips; s++) {
                    tile(a, pc * strips * MR + s * MR * kc, b, bo + q, rows, pc, kc, c, cOff + s * MR * ldc + q, ldc, pc > 0);
                }
            }
        }
    }

    /**
     * The tile of C at (i0, j0) continues (carry) or starts its sums with kc steps; a tile that sticks out of C is
     * computed in a buffer, of which the part inside C is copied.
     */
    private static void tile(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int cOff, int ldc, int m,
                             int n, int i0, int j0, boolean carry, float[] buffer) {
        int rows = Math.min(MR, m - i0), cols = Math.min(NR, n - j0), co = cOff + i0 * ldc + j0;
        if (rows == MR && cols == NR) {
            tile(ap, ao, bp, bo, kc, c, co, ldc, carry);
            return;
        }
        if (carry) {
            java.util.Arrays.fill(buffer, 0);
            for (int r = 0; r < rows; r++) System.arraycopy(c, co + r * ldc, buffer, r * NR, cols);
        }
        tile(ap, ao, bp, bo, kc, buffer, 0, NR, carry);
        for (int r = 0; r < rows; r++) System.arraycopy(buffer, r * NR, c, co + r * ldc, cols);
    }

    /** One strip of op(A) at dst[off]: dst[off + p * MR + r] = op(A)[i0 + r, pc + p], 0 past row m. */
    private static void packA(boolean ta, float[] a, int aOff, int lda, int m, int i0, int pc, int kc, float[] dst,
                              int off) {
        int rows = Math.min(MR, m - i0);
        if (ta) {
            for (int p = 0; p < kc; p++) {
                int src = aOff + (pc + p) * lda + i0, d = off + p * MR;
                for (int r = 0; r < rows; r++) dst[d + r] = a[src + r];
                for (int r = rows; r < MR; r++) dst[d + r] = 0;
            }
        } else {
            for (int r = 0; r < rows; r++) {
                int src = aOff + (i0 + r) * lda + pc;
                for (int p = 0; p < kc; p++) dst[off + p * MR + r] = a[src + p];
            }
            for (int r = rows; r < MR; r++) {
                for (int p = 0; p < kc; p++) dst[off + p * MR + r] = 0;
            }
        }
    }

    /** One strip of op(B) at dst[off]: dst[off + p * NR + j] = op(B)[pc + p, j0 + j], 0 past column n. */
    private static void packB(boolean tb, float[] b, int bOff, int ldb, int n, int j0, int pc, int kc, float[] dst,
                              int off) {
        int cols = Math.min(NR, n - j0);
        if (tb) {
            for (int j = 0; j < cols; j++) {
                int src = bOff + (j0 + j) * ldb + pc;
                for (int p = 0; p < kc; p++) dst[off + p * NR + j] = b[src + p];
            }
        } else {
            for (int p = 0; p < kc; p++) System.arraycopy(b, bOff + (pc + p) * ldb + j0, dst, off + p * NR, cols);
        }
        if (cols < NR) {
            for (int p = 0; p < kc; p++) java.util.Arrays.fill(dst, off + p * NR + cols, off + (p + 1) * NR, 0);
        }
    }

    /** Row offsets of a packed strip of op(B): row p starts at p * NR. */
    private static final int[] PACKED_ROWS = java.util.stream.IntStream.range(0, KC).map(p -> p * NR).toArray();

    private static void tile(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc,
                             boolean carry) {
        tile(ap, ao, bp, bo, PACKED_ROWS, 0, kc, c, co, ldc, carry);
    }

    /** A tile whose B row p (p < kc) starts at b[bo + rows[r0 + p]]: packed strips, or windows of one array. */
    private static void tile(float[] ap, int ao, float[] b, int bo, int[] rows, int r0, int kc, float[] c, int co,
                             int ldc, boolean carry) {
        if (WIDE) tile8x3(ap, ao, b, bo, rows, r0, kc, c, co, ldc, carry);
        else tile6x2(ap, ao, b, bo, rows, r0, kc, c, co, ldc, carry);
    }

    /** C[8 x 3L] (+)= the strips' product, in registers. */
    private static void tile8x3(float[] ap, int ao, float[] b, int bo, int[] rows, int r0, int kc, float[] c, int co,
                                int ldc, boolean carry) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z, c30 = z, c31 = z,
                c32 = z, c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z, c60 = z, c61 = z, c62 = z, c70 = z,
                c71 = z, c72 = z;
        if (carry) {
            int o = co;
            c00 = load(c, o); c01 = load(c, o + L); c02 = load(c, o + 2 * L); o += ldc;
            c10 = load(c, o); c11 = load(c, o + L); c12 = load(c, o + 2 * L); o += ldc;
            c20 = load(c, o); c21 = load(c, o + L); c22 = load(c, o + 2 * L); o += ldc;
            c30 = load(c, o); c31 = load(c, o + L); c32 = load(c, o + 2 * L); o += ldc;
            c40 = load(c, o); c41 = load(c, o + L); c42 = load(c, o + 2 * L); o += ldc;
            c50 = load(c, o); c51 = load(c, o + L); c52 = load(c, o + 2 * L); o += ldc;
            c60 = load(c, o); c61 = load(c, o + L); c62 = load(c, o + 2 * L); o += ldc;
            c70 = load(c, o); c71 = load(c, o + L); c72 = load(c, o + 2 * L);
        }
        for (int p = 0, ai = ao; p < kc; p++, ai += 8) {
            int bi = bo + rows[r0 + p];
            FloatVector b0 = load(b, bi), b1 = load(b, bi + L), b2 = load(b, bi + 2 * L), x;
            x = FloatVector.broadcast(S, ap[ai]); c00 = x.lanewise(FMA, b0, c00); c01 = x.lanewise(FMA, b1, c01); c02 = x.lanewise(FMA, b2, c02);
            x = FloatVector.broadcast(S, ap[ai + 1]); c10 = x.lanewise(FMA, b0, c10); c11 = x.lanewise(FMA, b1, c11); c12 = x.lanewise(FMA, b2, c12);
            x = FloatVector.broadcast(S, ap[ai + 2]); c20 = x.lanewise(FMA, b0, c20); c21 = x.lanewise(FMA, b1, c21); c22 = x.lanewise(FMA, b2, c22);
            x = FloatVector.broadcast(S, ap[ai + 3]); c30 = x.lanewise(FMA, b0, c30); c31 = x.lanewise(FMA, b1, c31); c32 = x.lanewise(FMA, b2, c32);
            x = FloatVector.broadcast(S, ap[ai + 4]); c40 = x.lanewise(FMA, b0, c40); c41 = x.lanewise(FMA, b1, c41); c42 = x.lanewise(FMA, b2, c42);
            x = FloatVector.broadcast(S, ap[ai + 5]); c50 = x.lanewise(FMA, b0, c50); c51 = x.lanewise(FMA, b1, c51); c52 = x.lanewise(FMA, b2, c52);
            x = FloatVector.broadcast(S, ap[ai + 6]); c60 = x.lanewise(FMA, b0, c60); c61 = x.lanewise(FMA, b1, c61); c62 = x.lanewise(FMA, b2, c62);
            x = FloatVector.broadcast(S, ap[ai + 7]); c70 = x.lanewise(FMA, b0, c70); c71 = x.lanewise(FMA, b1, c71); c72 = x.lanewise(FMA, b2, c72);
        }
        int o = co;
        c00.intoArray(c, o); c01.intoArray(c, o + L); c02.intoArray(c, o + 2 * L); o += ldc;
        c10.intoArray(c, o); c11.intoArray(c, o + L); c12.intoArray(c, o + 2 * L); o += ldc;
        c20.intoArray(c, o); c21.intoArray(c, o + L); c22.intoArray(c, o + 2 * L); o += ldc;
        c30.intoArray(c, o); c31.intoArray(c, o + L); c32.intoArray(c, o + 2 * L); o += ldc;
        c40.intoArray(c, o); c41.intoArray(c, o + L); c42.intoArray(c, o + 2 * L); o += ldc;
        c50.intoArray(c, o); c51.intoArray(c, o + L); c52.intoArray(c, o + 2 * L); o += ldc;
        c60.intoArray(c, o); c61.intoArray(c, o + L); c62.intoArray(c, o + 2 * L); o += ldc;
        c70.intoArray(c, o); c71.intoArray(c, o + L); c72.intoArray(c, o + 2 * L);
    }

    /** C[6 x 2L] (+)= the strips' product, in registers. */
    private static void tile6x2(float[] ap, int ao, float[] b, int bo, int[] rows, int r0, int kc, float[] c, int co,
                                int ldc, boolean carry) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z,
                c51 = z;
        if (carry) {
            int o = co;
            c00 = load(c, o); c01 = load(c, o + L); o += ldc;
            c10 = load(c, o); c11 = load(c, o + L); o += ldc;
            c20 = load(c, o); c21 = load(c, o + L); o += ldc;
            c30 = load(c, o); c31 = load(c, o + L); o += ldc;
            c40 = load(c, o); c41 = load(c, o + L); o += ldc;
            c50 = load(c, o); c51 = load(c, o + L);
        }
        for (int p = 0, ai = ao; p < kc; p++, ai += 6) {
            int bi = bo + rows[r0 + p];
            FloatVector b0 = load(b, bi), b1 = load(b, bi + L), x;
            x = FloatVector.broadcast(S, ap[ai]); c00 = x.lanewise(FMA, b0, c00); c01 = x.lanewise(FMA, b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]); c10 = x.lanewise(FMA, b0, c10); c11 = x.lanewise(FMA, b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]); c20 = x.lanewise(FMA, b0, c20); c21 = x.lanewise(FMA, b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]); c30 = x.lanewise(FMA, b0, c30); c31 = x.lanewise(FMA, b1, c31);
            x = FloatVector.broadcast(S, ap[ai + 4]); c40 = x.lanewise(FMA, b0, c40); c41 = x.lanewise(FMA, b1, c41);
            x = FloatVector.broadcast(S, ap[ai + 5]); c50 = x.lanewise(FMA, b0, c50); c51 = x.lanewise(FMA, b1, c51);
        }
        int o = co;
        c00.intoArray(c, o); c01.intoArray(c, o + L); o += ldc;
        c10.intoArray(c, o); c11.intoArray(c, o + L); o += ldc;
        c20.intoArray(c, o); c21.intoArray(c, o + L); o += ldc;
        c30.intoArray(c, o); c31.intoArray(c, o + L); o += ldc;
        c40.intoArray(c, o); c41.intoArray(c, o + L); o += ldc;
        c50.intoArray(c, o); c51.intoArray(c, o + L);
    }

    private static FloatVector load(float[] a, int i) {
        return FloatVector.fromArray(S, a, i);
    }
}
