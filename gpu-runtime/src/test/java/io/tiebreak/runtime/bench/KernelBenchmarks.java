package io.tiebreak.runtime.bench;

import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.precision.Half;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmarks of the CPU kernels at the shapes the study's networks use (batch 128). Run with
 * gpu-runtime/bench/jmh.sh [JMH options]; e.g. `jmh.sh Conv -p layer=vgg3 -p precision=fp32`.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KernelBenchmarks {

    /** A convolution layer of LeNet-5 or VGG11 with its input, weights and gradients. */
    @State(Scope.Thread)
    public static class Conv {
        @Param({"lenet1", "lenet2", "vgg1", "vgg3", "vgg5", "vgg8"}) String layer;
        @Param({"fp32", "fp64", "fp16"}) String precision;
        @Param({"2"}) int threads;
        CpuBackend cpu;
        ConvGeometry g;
        Tensor x, w, b, y, dx, dw, db;

        @Setup(Level.Trial)
        public void setUp() {
            int[] s = switch (layer) { // in, out, kernel, pad, size
                case "lenet1" -> new int[] {1, 6, 5, 0, 28};
                case "lenet2" -> new int[] {6, 16, 5, 0, 12};
                case "vgg1" -> new int[] {3, 64, 3, 1, 32};
                case "vgg3" -> new int[] {64, 128, 3, 1, 16};
                case "vgg5" -> new int[] {256, 256, 3, 1, 8};
                default -> new int[] {512, 512, 3, 1, 2};
            };
            Precision p = Precision.parse(precision);
            cpu = new CpuBackend(threads);
            g = ConvGeometry.square(s[0], s[1], s[2], 1, s[3]);
            int n = 128, ho = g.outH(s[4]);
            x = random(p, n, s[0], s[4], s[4]);
            w = random(p, s[1], s[0], s[2], s[2]);
            b = random(p, s[1]);
            y = cpu.zeros(p, n, s[1], ho, ho);
            dx = cpu.zeros(p, x.shape());
            dw = cpu.zeros(p, w.shape());
            db = cpu.zeros(p, b.shape());
        }

        Tensor random(Precision p, int... shape) {
            Rng r = Rng.of(1, "bench");
            double[] v = new double[io.tiebreak.runtime.tensor.Shapes.size(shape)];
            for (int i = 0; i < v.length; i++) v[i] = r.uniform(-1, 1);
            return cpu.upload(p, shape, v);
        }

        @TearDown
        public void tearDown() { cpu.close(); }
    }

    @Benchmark
    public Tensor convForward(Conv c) {
        c.cpu.conv2dForward(c.x, c.w, c.b, c.g, c.y);
        return c.y;
    }

    @Benchmark
    public Tensor convBackward(Conv c) {
        c.cpu.conv2dBackward(c.x, c.w, c.y, c.g, c.dx, c.dw, c.db);
        return c.dw;
    }

    /** A pooling layer at batch 128 (VGG11's first: 64 x 32 x 32; LeNet-5's: 6 x 24 x 24, 16 x 8 x 8) with ties. */
    @State(Scope.Thread)
    public static class Pool {
        @Param({"vgg1", "lenet1", "lenet2"}) String layer;
        @Param({"first", "min-norm", "beta:1000"}) String policy;
        @Param({"exact", "composite"}) String form;
        @Param({"fp32", "fp16"}) String precision;
        CpuBackend cpu;
        PoolPolicy pol;
        Tensor x, y, dx;
        final PoolGeometry g = new PoolGeometry(2, 2, 0);

        @Setup(Level.Trial)
        public void setUp() {
            if (!policy.startsWith("beta") && form.equals("composite")) form = "exact";
            Precision p = Precision.parse(precision);
            cpu = new CpuBackend(2);
            pol = PoolPolicy.parse(policy, PoolPolicy.Form.parse(form));
            Rng r = Rng.of(2, "bench");
            int[] chw = switch (layer) {
                case "vgg1" -> new int[] {64, 32};
                case "lenet1" -> new int[] {6, 24};
                case "lenet2" -> new int[] {16, 8};
                default -> throw new IllegalArgumentException(layer);
            };
            int c = chw[0], hw = chw[1];
            double[] v = new double[128 * c * hw * hw];
            for (int i = 0; i < v.length; i++) v[i] = Math.max(0, r.nextInt(8) - 3);
            x = cpu.upload(p, new int[] {128, c, hw, hw}, v);
            y = cpu.zeros(p, 128, c, hw / 2, hw / 2);
            dx = cpu.zeros(p, x.shape());
        }

        @TearDown
        public void tearDown() { cpu.close(); }
    }

    @Benchmark
    public long maxPoolForward(Pool s) {
        return s.cpu.maxPoolForward(s.x, s.g, s.pol, s.y);
    }

    @Benchmark
    public Tensor maxPoolBackward(Pool s) {
        s.cpu.maxPoolBackward(s.x, s.y, s.g, s.pol, s.dx);
        return s.dx;
    }

    /** binary16 rounding of a million binary32 values: the per-op cost of fp16 storage. */
    @State(Scope.Thread)
    public static class Values {
        final float[] v = new float[1 << 20];

        @Setup(Level.Iteration)
        public void setUp() {
            Rng r = Rng.of(3, "bench");
            for (int i = 0; i < v.length; i++) v[i] = (float) r.normal();
        }
    }

    @Benchmark
    public float[] halfRoundMillion(Values s) {
        Half.roundInPlace(s.v, 0, s.v.length);
        return s.v;
    }
}
