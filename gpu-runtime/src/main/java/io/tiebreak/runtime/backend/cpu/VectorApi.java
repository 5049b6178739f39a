package io.tiebreak.runtime.backend.cpu;

/**
 * Whether the portable GEMM runs its register-blocked kernel on the JDK's Vector API (jdk.incubator.vector), which
 * the JVM loads only when started with {@code --add-modules jdk.incubator.vector}. Without it the GEMM runs its
 * auto-vectorized loops: the same bits (both compute every element's sum in the one documented order), about half
 * the speed on large products. {@code -Dtiebreak.vector=false} turns the Vector API kernel off (A/B benchmarks).
 *
 * <p>Only this class asks; the kernels that use the module are loaded only when it is there.
 */
final class VectorApi {
    private VectorApi() {}

    /** The JVM option that loads the module. */
    static final String JVM_OPTION = "--add-modules jdk.incubator.vector";

    /** True when the Vector API kernels run. */
    static final boolean ENABLED = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !"false".equals(System.getProperty("tiebreak.vector"));

    /** For backend descriptions: which kernel computes portable products. */
    static String describe() {
        return ENABLED ? "Vector API kernel" : "auto-vectorized loops (start the JVM with " + JVM_OPTION + " for the faster kernel)";
    }
}
