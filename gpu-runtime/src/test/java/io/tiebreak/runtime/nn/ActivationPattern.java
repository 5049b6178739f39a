package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.tensor.Tensor;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * A backend that fingerprints the activation pattern of what runs through it: the sign class (<0, 0, >0, NaN) of
 * every ReLU input and the tie set (every index attaining the maximum) of every max-pool window. Within one pattern
 * a network built of these ops, convs, batch-norm and softmax is a smooth function of its weights and inputs, so a
 * finite difference whose three evaluations share one pattern measures the derivative; one whose pattern changes
 * within +-h straddles a kink, where no step size gives the derivative.
 */
public final class ActivationPattern implements InvocationHandler {
    private final Backend delegate;
    private final Backend proxy;
    private long fingerprint = FNV_OFFSET;

    private static final long FNV_OFFSET = 0xcbf29ce484222325L, FNV_PRIME = 0x100000001b3L;

    private ActivationPattern(Backend delegate) {
        this.delegate = delegate;
        this.proxy = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, this);
    }

    /** Watches everything that runs through {@link #backend()}, which forwards to b. */
    public static ActivationPattern watching(Backend b) { return new ActivationPattern(b); }

    /** The backend to build models and layers on. */
    public Backend backend() { return proxy; }

    /** The fingerprint of the patterns seen since the last call (a model's forward, say), and a fresh start. */
    public long take() {
        long f = fingerprint;
        fingerprint = FNV_OFFSET;
        return f;
    }

    @Override
    public Object invoke(Object self, Method m, Object[] args) throws Throwable {
        switch (m.getName()) {
            case "reluForward": reluSigns((Tensor) args[0]); break;
            case "maxPoolForward": tieSets((Tensor) args[0], (PoolGeometry) args[1]); break;
            default: break;
        }
        try {
            return m.invoke(delegate, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private void mix(long v) { fingerprint = (fingerprint ^ v) * FNV_PRIME; }

    private void reluSigns(Tensor x) {
        for (double v : delegate.download(x)) mix(v > 0 ? 1 : v < 0 ? 2 : v == 0 ? 3 : 4);
    }

    private void tieSets(Tensor x, PoolGeometry g) {
        double[] v = delegate.download(x);
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
        for (int p = 0; p < planes; p++) {
            int base = p * h * w;
            for (int oy = 0; oy < g.out(h); oy++) {
                for (int ox = 0; ox < g.out(w); ox++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int y = g.windowStart(oy); y < g.windowEnd(oy, h); y++) {
                        for (int xx = g.windowStart(ox); xx < g.windowEnd(ox, w); xx++) max = Math.max(max, v[base + y * w + xx]);
                    }
                    for (int y = g.windowStart(oy); y < g.windowEnd(oy, h); y++) {
                        for (int xx = g.windowStart(ox); xx < g.windowEnd(ox, w); xx++) {
                            if (v[base + y * w + xx] == max) mix(y * w + xx);
                        }
                    }
                    mix(-1);
                }
            }
        }
    }
}
