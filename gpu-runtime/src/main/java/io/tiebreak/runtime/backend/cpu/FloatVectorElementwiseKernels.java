package io.tiebreak.runtime.backend.cpu;

import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.NE;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * ReLU forward and backward on the Vector API, for the range [start, end) of a task: the bits of
 * {@link FloatElementwiseKernels}'s loops (C2 does not vectorize those: they work on the values' bit patterns).
 * Loaded only when the JVM has jdk.incubator.vector ({@link VectorApi}).
 *
 * <p>The build generates {@code DoubleVectorElementwiseKernels} (fp64) from this file (gpu-runtime/pom.xml).
 */
final class FloatVectorElementwiseKernels {
    private FloatVectorElementwiseKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** y = x < 0 ? +0 : x; returns where the scalar tail starts. */
    static int relu(float[] x, float[] y, int start, int end) {
        FloatVector zero = FloatVector.zero(S);
        int i = start;
        for (int last = end - S.length(); i <= last; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            v.blend(zero, v.compare(LT, 0)).intoArray(y, i);
        }
        return i;
    }

    /** dx = dy where x > 0 or x is NaN, else +0; returns where the scalar tail starts. */
    static int reluBackward(float[] x, float[] dy, float[] dx, int start, int end) {
        FloatVector zero = FloatVector.zero(S);
        int i = start;
        for (int last = end - S.length(); i <= last; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            VectorMask<Float> pass = v.compare(GT, 0).or(v.compare(NE, v));
            zero.blend(FloatVector.fromArray(S, dy, i), pass).intoArray(dx, i);
        }
        return i;
    }
}
