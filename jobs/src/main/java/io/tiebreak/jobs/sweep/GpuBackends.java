package io.tiebreak.jobs.sweep;

import io.tiebreak.runtime.backend.Backend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Opens the runtime's CUDA backend on a GPU ordinal. Looked up by name so that a runtime built without the CUDA
 * backend still runs CPU sweeps, and says plainly why a GPU run cannot start.
 */
final class GpuBackends {
    private GpuBackends() {}

    static final String FACTORY = "io.tiebreak.runtime.backend.Backends";

    /** The backend for cuda:ordinal, or an exception whose message says why not (no CUDA, no such device). */
    static Backend open(String address, int threads) throws Exception {
        Method open;
        try {
            open = Class.forName(FACTORY).getMethod("open", String.class, int.class);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw new UnsupportedOperationException("this build of the runtime has no CUDA backend");
        }
        try {
            return (Backend) open.invoke(null, "cuda:" + address, threads);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) throw (Exception) cause;
            throw new IllegalStateException(String.valueOf(cause), cause);
        }
    }
}
