package io.tiebreak.runtime.precision;

import java.util.Locale;

/**
 * How far a run's bits are promised to reproduce (docs/design.md, "Reproducibility"). Every mode gives the same bits
 * whatever the thread count; they differ in the matrix products of conv and linear layers, the one place where
 * the CPU backend could use kernels whose summation order is not ours:
 * <ul>
 *   <li>{@link #HOST}: the host's native BLAS (OpenBLAS picks its kernel by CPU model and cache sizes): the same bits
 *       on the same CPU model and BLAS build, the fastest;</li>
 *   <li>{@link #PORTABLE}: our fixed-order GEMM (FloatGemm): the same bits on every machine and JVM.</li>
 * </ul>
 * Everything else the CPU backend computes (transcendentals through StrictMath included) is ours in both modes.
 */
public enum Reproducibility {
    HOST, PORTABLE;

    /** The default of grids and the runtime CLI. */
    public static final Reproducibility DEFAULT = PORTABLE; // why: README, "Reproducibility"

    /** As written in grids, flags and result tables: host, portable. */
    public String id() { return name().toLowerCase(Locale.ROOT); }

    public static Reproducibility parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        for (Reproducibility r : values()) if (r.id().equals(t)) return r;
        throw new IllegalArgumentException("unknown reproducibility '" + s + "': expected host or portable");
    }
}
