import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's fp32 fused multiply-add peak as the JVM reaches it: each thread runs 12 independent chains of
 * preferred-species FMAs (enough to cover the FMA latency on two pipes), all threads at once; prints GFLOP/s.
 * Usage: java --add-modules jdk.incubator.vector gpu-runtime/bench/PeakFlops.java [THREADS]
 */
public class PeakFlops {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static float chains(long steps) {
        FloatVector a = FloatVector.broadcast(S, 0.999999f), b = FloatVector.broadcast(S, 1e-7f);
        FloatVector c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < steps; i++) {
            c0 = c0.lanewise(VectorOperators.FMA, a, b); c1 = c1.lanewise(VectorOperators.FMA, a, b);
            c2 = c2.lanewise(VectorOperators.FMA, a, b); c3 = c3.lanewise(VectorOperators.FMA, a, b);
            c4 = c4.lanewise(VectorOperators.FMA, a, b); c5 = c5.lanewise(VectorOperators.FMA, a, b);
            c6 = c6.lanewise(VectorOperators.FMA, a, b); c7 = c7.lanewise(VectorOperators.FMA, a, b);
            c8 = c8.lanewise(VectorOperators.FMA, a, b); c9 = c9.lanewise(VectorOperators.FMA, a, b);
            c10 = c10.lanewise(VectorOperators.FMA, a, b); c11 = c11.lanewise(VectorOperators.FMA, a, b);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        long steps = 50_000_000L;
        for (int i = 0; i < 3; i++) chains(steps / 10); // compile
        for (int round = 0; round < 3; round++) {
            List<Thread> ts = new ArrayList<>();
            float[] sink = new float[threads];
            long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread th = new Thread(() -> sink[id] = chains(steps));
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) th.join();
            double s = (System.nanoTime() - t0) / 1e9, flops = 2.0 * 12 * S.length() * steps * threads;
            System.out.printf("%d threads, %d-lane fp32 FMA: %.1f GFLOP/s (%.3f s, %s)%n", threads, S.length(),
                    flops / s / 1e9, s, sink[0] > 0 ? "ok" : "?");
        }
    }
}
