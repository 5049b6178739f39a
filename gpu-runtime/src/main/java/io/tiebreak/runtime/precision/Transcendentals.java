package io.tiebreak.runtime.precision;

/**
 * The one home of the elementary functions the runtime's numerics use: exp, log, pow and sqrt in the kernels (loss,
 * batch norm, Adam) and in what drives them (initialization bounds, schedules, norms). Each takes and returns binary64:
 * callers with binary32 values widen them, call, and narrow the result once (Precision's "compute in binary64, then
 * narrow" rule).
 *
 * <p>Every function is java.lang.StrictMath's, in every reproducibility mode: its results are fixed by its
 * specification (fdlibm's algorithms), where java.lang.Math's may come from platform intrinsics and differ in the
 * last bit between JVMs and CPUs (docs/design.md, "Reproducibility"). A step makes a few thousand calls, so this
 * costs nothing measurable. sqrt is correctly rounded (IEEE 754) either way. Random draws use StrictMath too
 * (random/Rng).
 */
public final class Transcendentals {
    private Transcendentals() {}

    public static double exp(double x) { return StrictMath.exp(x); }

    public static double log(double x) { return StrictMath.log(x); }

    public static double pow(double x, double y) { return StrictMath.pow(x, y); }

    /** Correctly rounded (IEEE 754), so the same everywhere; Math's is the intrinsic hot loops want. */
    public static double sqrt(double x) { return Math.sqrt(x); }

    public static double cos(double x) { return StrictMath.cos(x); }
}
