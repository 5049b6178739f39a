package io.tiebreak.runtime.precision;

/**
 * The one home of the elementary functions the runtime's numerics use: exp, log, pow and sqrt in the kernels (loss,
 * batch norm, Adam) and in what drives them (initialization bounds, schedules, norms). Each takes and returns binary64:
 * callers with binary32 values widen them, call, and narrow the result once (Precision's "compute in binary64, then
 * narrow" rule).
 *
 * <p>Today every function is java.lang.Math's. sqrt is correctly rounded everywhere (IEEE 754); exp, log, pow, cos
 * may differ in the last bit between JVMs and CPUs, which is why they are called only from here. Random draws are not
 * numerics of a run's arithmetic: they use StrictMath directly (random/Rng), the same on every JVM.
 */
public final class Transcendentals {
    private Transcendentals() {}

    public static double exp(double x) { return Math.exp(x); }

    public static double log(double x) { return Math.log(x); }

    public static double pow(double x, double y) { return Math.pow(x, y); }

    public static double sqrt(double x) { return Math.sqrt(x); }

    public static double cos(double x) { return Math.cos(x); }
}
