package io.tiebreak.runtime.backend.cpu;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import dev.ludovic.netlib.blas.BLAS;
import java.util.logging.Logger;

/**
 * The process's BLAS (netlib's JNI binding to the system libblas.so.3, OpenBLAS on Debian), pinned to one thread.
 *
 * <p>Why one thread: the CPU backend splits every GEMM itself into tasks fixed by the problem's shape, so results
 * do not depend on how many threads run them, and a Spark task uses exactly spark.task.cpus threads instead of one
 * OpenBLAS thread per core for every task on the executor.
 */
final class NativeBlas {
    private static final Logger LOG = Logger.getLogger(NativeBlas.class.getName());
    /** netlib warns on every start that its Vector API variant (an incubator module) is absent: expected, so quiet. */
    private static final Logger NETLIB = quiet(Logger.getLogger("dev.ludovic.netlib.blas.InstanceBuilder"));
    private static final BLAS BLAS = dev.ludovic.netlib.blas.BLAS.getInstance();
    private static final String THREADING = pinOpenBlasToOneThread();

    private NativeBlas() {}

    static BLAS blas() { return BLAS; }

    private static Logger quiet(Logger l) {
        l.setLevel(java.util.logging.Level.SEVERE);
        return l;
    }

    /** e.g. "OpenBLAS 0.3.21, Cooperlake kernels pinned to 1 thread (through dev.ludovic.netlib.blas.JNIBLAS)". */
    static String describe() { return THREADING + " (through " + BLAS.getClass().getName() + ")"; }

    /** True when calls reach a native BLAS rather than the pure-Java fallback. */
    static boolean isNative() { return BLAS.getClass().getSimpleName().startsWith("JNI"); }

    /**
     * "OpenBLAS 0.3.21, Cooperlake kernels": the version and the kernel set OpenBLAS picked for this CPU (by CPU model,
     * or OPENBLAS_CORETYPE), which decide the bits of host-mode products.
     */
    private static String openBlasBuild(NativeLibrary lib) {
        try {
            String config = lib.getFunction("openblas_get_config").invokeString(new Object[0], false);
            String core = lib.getFunction("openblas_get_corename").invokeString(new Object[0], false);
            String[] words = config == null ? new String[0] : config.split(" ");
            return (words.length >= 2 ? words[0] + " " + words[1] : "OpenBLAS") + ", " + core + " kernels";
        } catch (UnsatisfiedLinkError e) {
            return "OpenBLAS";
        }
    }

    private static String pinOpenBlasToOneThread() {
        if (!isNative()) {
            LOG.warning("no native BLAS found (install libopenblas0-pthread): using " + BLAS.getClass().getName()
                    + ", which is much slower");
            return "pure Java";
        }
        try {
            NativeLibrary lib = NativeLibrary.getInstance("libblas.so.3");
            Function set = lib.getFunction("openblas_set_num_threads");
            set.invoke(new Object[] {1});
            return openBlasBuild(lib) + " pinned to 1 thread";
        } catch (UnsatisfiedLinkError e) {
            // Not OpenBLAS (reference BLAS, BLIS...): single-threaded or governed by its own environment variables.
            return "libblas.so.3 without openblas_set_num_threads";
        }
    }
}
