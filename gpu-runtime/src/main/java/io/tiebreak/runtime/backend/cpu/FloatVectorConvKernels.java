package io.tiebreak.runtime.backend.cpu;

import static jdk.incubator.vector.VectorOperators.FMA;
import static jdk.incubator.vector.VectorOperators.GE;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The lane sums of few-channel convolutions' weight gradients ({@link FloatMatmulKernels#LANES}; the same bits as
 * the loop there) on the Vector API, read straight from the padded input images and the output gradient laid on
 * their rows: no im2col matrix, no packing; and stride-1 col2im, a row of dx at a time ({@link #col2imRow}). Loaded
 * only when the JVM has jdk.incubator.vector ({@link VectorApi}).
 *
 * <p>Vectors are the preferred species, as in {@link FloatVectorGemmKernels}: C2 compiles Vector API code well only
 * while each call site sees one vector shape. LANES lanes are one vector on AVX-512 and two on AVX2.
 *
 * <p>The build generates {@code DoubleVectorConvKernels} (fp64) from this file (gpu-runtime/pom.xml).
 */
final class FloatVectorConvKernels {
    private FloatVectorConvKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FloatMatmulKernels.LANES, L = S.length();

    /** Whether this machine's vectors hold the lanes in one or two vectors (else the loop computes them). */
    static boolean supported() {
        return L == LANES || 2 * L == LANES;
    }

    /**
     * sums[(o * ck + p) * LANES + l] = the sum, in order with fma, of dy[o * ld + q] * x[at[q / LANES] + q % LANES +
     * off[p]] over the positions q < n with q mod LANES = l ({@link FloatMatmulKernels#weightGradientLanes}): dy is
     * the output gradient on the padded images' rows, at[] where each run of LANES positions sits in x, the padded
     * images, and off[p] where patch row p starts in an image. n is a multiple of LANES.
     */
    static void weightGradientLanes(float[] dy, int ld, int cout, float[] x, int[] at, int[] off, int ck, int n,
                                    float[] sums) {
        for (int o0 = 0; o0 < cout; o0 += 3) {
            int d0 = Math.min(o0, cout - 1) * ld, d1 = Math.min(o0 + 1, cout - 1) * ld, d2 = Math.min(o0 + 2, cout - 1) * ld;
            if (L == LANES) {
                for (int p0 = 0; p0 < ck; p0 += 4) oneVector(dy, d0, d1, d2, x, at, off, ck, n, o0, p0, cout, sums);
            } else {
                for (int p0 = 0; p0 < ck; p0 += 2) twoVectors(dy, d0, d1, d2, x, at, off, ck, n, o0, p0, cout, sums);
            }
        }
    }

    /** Rows o0..o0+2 (d0..d2) by patch rows p0..p0+3, the lanes in one vector each. */
    private static void oneVector(float[] dy, int d0, int d1, int d2, float[] x, int[] at, int[] off, int ck, int n,
                                  int o0, int p0, int cout, float[] sums) {
        int x0 = off[Math.min(p0, ck - 1)], x1 = off[Math.min(p0 + 1, ck - 1)];
        int x2 = off[Math.min(p0 + 2, ck - 1)], x3 = off[Math.min(p0 + 3, ck - 1)];
        FloatVector z = FloatVector.zero(S);
        FloatVector s00 = z, s01 = z, s02 = z, s03 = z, s10 = z, s11 = z, s12 = z, s13 = z, s20 = z, s21 = z, s22 = z,
                s23 = z;
        // One flat loop: C2 keeps vectors in registers through one loop, not through nested ones.
        for (int q = 0, v = 0; q < n; q += L, v++) {
            int i = at[v];
            FloatVector a0 = load(dy, d0 + q), a1 = load(dy, d1 + q), a2 = load(dy, d2 + q), b;
            b = load(x, i + x0); s00 = a0.lanewise(FMA, b, s00); s10 = a1.lanewise(FMA, b, s10); s20 = a2.lanewise(FMA, b, s20);
            b = load(x, i + x1); s01 = a0.lanewise(FMA, b, s01); s11 = a1.lanewise(FMA, b, s11); s21 = a2.lanewise(FMA, b, s21);
            b = load(x, i + x2); s02 = a0.lanewise(FMA, b, s02); s12 = a1.lanewise(FMA, b, s12); s22 = a2.lanewise(FMA, b, s22);
            b = load(x, i + x3); s03 = a0.lanewise(FMA, b, s03); s13 = a1.lanewise(FMA, b, s13); s23 = a2.lanewise(FMA, b, s23);
        }
        store(s00, sums, o0, p0, 0, cout, ck); store(s01, sums, o0, p0 + 1, 0, cout, ck);
        store(s02, sums, o0, p0 + 2, 0, cout, ck); store(s03, sums, o0, p0 + 3, 0, cout, ck);
        store(s10, sums, o0 + 1, p0, 0, cout, ck); store(s11, sums, o0 + 1, p0 + 1, 0, cout, ck);
        store(s12, sums, o0 + 1, p0 + 2, 0, cout, ck); store(s13, sums, o0 + 1, p0 + 3, 0, cout, ck);
        store(s20, sums, o0 + 2, p0, 0, cout, ck); store(s21, sums, o0 + 2, p0 + 1, 0, cout, ck);
        store(s22, sums, o0 + 2, p0 + 2, 0, cout, ck); store(s23, sums, o0 + 2, p0 + 3, 0, cout, ck);
    }

    /** Rows o0..o0+2 by patch rows p0, p0+1, the lanes in two vectors each (suffix 0: lanes 0..L-1, 1: L..2L-1). */
    private static void twoVectors(float[] dy, int d0, int d1, int d2, float[] x, int[] at, int[] off, int ck, int n,
                                   int o0, int p0, int cout, float[] sums) {
        int x0 = off[Math.min(p0, ck - 1)], x1 = off[Math.min(p0 + 1, ck - 1)];
        FloatVector z = FloatVector.zero(S);
        FloatVector s000 = z, s001 = z, s010 = z, s011 = z, s100 = z, s101 = z, s110 = z, s111 = z, s200 = z, s201 = z,
                s210 = z, s211 = z;
        for (int q = 0, v = 0; q < n; q += 2 * L, v++) {
            int i = at[v];
            FloatVector a0 = load(dy, d0 + q), a1 = load(dy, d1 + q), a2 = load(dy, d2 + q), b;
            b = load(x, i + x0); s000 = a0.lanewise(FMA, b, s000); s100 = a1.lanewise(FMA, b, s100); s200 = a2.lanewise(FMA, b, s200);
            b = load(x, i + x1); s010 = a0.lanewise(FMA, b, s010); s110 = a1.lanewise(FMA, b, s110); s210 = a2.lanewise(FMA, b, s210);
            a0 = load(dy, d0 + q + L); a1 = load(dy, d1 + q + L); a2 = load(dy, d2 + q + L);
            b = load(x, i + L + x0); s001 = a0.lanewise(FMA, b, s001); s101 = a1.lanewise(FMA, b, s101); s201 = a2.lanewise(FMA, b, s201);
            b = load(x, i + L + x1); s011 = a0.lanewise(FMA, b, s011); s111 = a1.lanewise(FMA, b, s111); s211 = a2.lanewise(FMA, b, s211);
        }
        store(s000, sums, o0, p0, 0, cout, ck); store(s001, sums, o0, p0, L, cout, ck);
        store(s010, sums, o0, p0 + 1, 0, cout, ck); store(s011, sums, o0, p0 + 1, L, cout, ck);
        store(s100, sums, o0 + 1, p0, 0, cout, ck); store(s101, sums, o0 + 1, p0, L, cout, ck);
        store(s110, sums, o0 + 1, p0 + 1, 0, cout, ck); store(s111, sums, o0 + 1, p0 + 1, L, cout, ck);
        store(s200, sums, o0 + 2, p0, 0, cout, ck); store(s201, sums, o0 + 2, p0, L, cout, ck);
        store(s210, sums, o0 + 2, p0 + 1, 0, cout, ck); store(s211, sums, o0 + 2, p0 + 1, L, cout, ck);
    }

    /**
     * Row iy of one channel of a stride-1 col2im, a vector of columns at a time with the sums in registers: dx[dst +
     * ix] for ix < w = the sum from +0, in the order of the patch rows q = (ky, kx), of col[at[q] + oy * wo + ox] over
     * those whose output oy = iy + padH - ky, ox = ix + padW - kx exists: the bits of col2im's scalar loops, which add
     * the same terms in the same order into a zeroed dx. Lanes with no term add +0, which changes no sum: they start
     * at +0 and so are never -0, and infinities and NaN stay as they are.
     *
     * <p>Reads whole vectors: col needs {@link FloatMatmulKernels#COL_SLACK} elements past its last row. Writes whole
     * vectors below dxEnd (the lanes past w run into the next row, which its own call writes later) and the last
     * one's lanes through tail.
     */
    static void col2imRow(float[] col, int[] at, int kh, int kw, int padH, int padW, int iy, int ho, int wo, int w,
                          float[] dx, int dst, int dxEnd, float[] tail) {
        FloatVector zero = FloatVector.zero(S), iota = zero.addIndex(1);
        for (int ix0 = 0; ix0 < w; ix0 += L) {
            FloatVector sum = zero;
            // One flat loop over the patch rows: C2 keeps a vector in a register through one loop, not nested ones.
            // No branch either: a patch row without output row oy reads row 0 and takes no lane.
            for (int q = 0, kk = kh * kw; q < kk; q++) {
                int ky = q / kw, kx = q - ky * kw, oy = iy + padH - ky;
                boolean exists = oy >= 0 && oy < ho;
                // Lanes j with output column ox = ix0 + j + padW - kx in [0, wo) and ix0 + j < w.
                int lo = kx - padW - ix0, hi = exists ? Math.min(kx - padW + wo, w) - ix0 : lo;
                FloatVector term = load(col, at[q] + (exists ? oy : 0) * wo + padW - kx + ix0);
                sum = sum.add(zero.blend(term, iota.compare(GE, lo)).blend(zero, iota.compare(GE, hi)));
            }
            if (dst + ix0 + L <= dxEnd) {
                sum.intoArray(dx, dst + ix0);
            } else {
                sum.intoArray(tail, 0);
                System.arraycopy(tail, 0, dx, dst + ix0, Math.min(L, w - ix0));
            }
        }
    }

    /** Lanes lane.. of element (o, p), unless it lies past the edge of the weights (a padded tile's row or column). */
    private static void store(FloatVector v, float[] sums, int o, int p, int lane, int cout, int ck) {
        if (o < cout && p < ck) v.intoArray(sums, (o * ck + p) * LANES + lane);
    }

    private static FloatVector load(float[] a, int i) {
        return FloatVector.fromArray(S, a, i);
    }
}
