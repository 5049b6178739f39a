package io.tiebreak.runtime.check;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.backend.Backends;
import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.backend.cuda.CudaUnavailableException;
import io.tiebreak.runtime.io.Safetensors;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Our elementwise ops and pooling against PyTorch on the same inputs, bit for bit: on the GPU machine, the fp16 CPU
 * emulation and the CUDA backend against PyTorch CUDA half; here, fp32 against PyTorch CPU. Three steps, the middle
 * one in Python (deploy/gpu/torch_parity.py):
 * <pre>
 *   TorchParity write IN.safetensors [--precision fp16|fp32]     inputs: ties, signed zeros, fp16 collisions
 *   torch_parity.py IN.safetensors OUT.safetensors --device cuda  PyTorch's results
 *   TorchParity compare IN.safetensors OUT.safetensors [--device cuda:0]
 * </pre>
 * Ops: relu forward and backward, max_pool2d (2x2/2 and 3x3/2 pad 1, PyTorch's first-index Jacobian) forward and
 * backward, avg_pool2d forward and backward (padding counted), add, multiply by a scalar: all bitwise. One SGD step
 * (momentum, weight decay) is compared too, but only reported: PyTorch may fuse {@code p + alpha*d} into one fma.
 * NaN inputs are left out: PyTorch's max_pool2d routes a NaN window's gradient to its last NaN, docs/design.md to the first.
 */
public final class TorchParity {
    static final int[] X = {4, 6, 11, 13};
    static final PoolGeometry[] POOLS = {new PoolGeometry(2, 2, 0), new PoolGeometry(3, 2, 1)};
    static final double SCALE = 0.3, LR = 0.05, MOMENTUM = 0.9, WEIGHT_DECAY = 5e-4;

    private TorchParity() {}

    static String pool(PoolGeometry g) { return "k" + g.kernel() + "s" + g.stride() + "p" + g.padding(); }

    static int[] pooled(PoolGeometry g) { return new int[] {X[0], X[1], g.out(X[2]), g.out(X[3])}; }

    static int size(int[] s) { int n = 1; for (int d : s) n *= d; return n; }

    /** The inputs, already in the precision's format (so PyTorch and we start from the same bits). */
    static byte[] inputs(Precision p, long seed) {
        Rng rng = Rng.of(seed, "torch-parity");
        Safetensors.Dtype dt = Safetensors.Dtype.of(p);
        Safetensors.Writer w = new Safetensors.Writer().metadata("precision", p.id())
                .metadata("scale", Double.toString(SCALE)).metadata("lr", Double.toString(LR))
                .metadata("momentum", Double.toString(MOMENTUM)).metadata("weight_decay", Double.toString(WEIGHT_DECAY));
        double[] grid = {-1.5, -0.5, -0.0, 0.0, 0.5, 1, 2};
        double[] x = new double[size(X)];
        for (int i = 0; i < x.length; i++) {
            int r = rng.nextInt(10);
            x[i] = r < 6 ? grid[rng.nextInt(grid.length)] : r < 8 ? 1 + rng.nextInt(4) * 0x1p-13 : rng.normal();
        }
        w.add("x", dt, X, rounded(x, p));
        w.add("dy", dt, X, rounded(normal(rng, size(X)), p));
        w.add("b", dt, X, rounded(normal(rng, size(X)), p));
        for (PoolGeometry g : POOLS) w.add("dy_" + pool(g), dt, pooled(g), rounded(normal(rng, size(pooled(g))), p));
        w.add("sgd_param", dt, X, rounded(normal(rng, size(X)), p));
        w.add("sgd_grad", dt, X, rounded(scaled(normal(rng, size(X)), 0.1), p));
        w.add("sgd_buf", dt, X, rounded(scaled(normal(rng, size(X)), 0.1), p));
        return w.toBytes();
    }

    private static double[] normal(Rng rng, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.normal();
        return v;
    }

    private static double[] scaled(double[] v, double s) {
        for (int i = 0; i < v.length; i++) v[i] *= s;
        return v;
    }

    private static double[] rounded(double[] v, Precision p) {
        for (int i = 0; i < v.length; i++) v[i] = p.valueFormat().round(v[i]);
        return v;
    }

    /** Our results, named as torch_parity.py names PyTorch's. */
    static Map<String, double[]> ours(Backend b, Safetensors.Contents in) {
        Precision p = Precision.parse(in.requireMetadata("precision"));
        Map<String, double[]> r = new LinkedHashMap<>();
        Tensor x = b.upload(p, X, in.require("x", X).toDoubles()), dy = b.upload(p, X, in.require("dy", X).toDoubles());
        Tensor y = b.zeros(p, X), dx = b.zeros(p, X);
        b.reluForward(x, y);
        r.put("relu/y", b.download(y));
        b.reluBackward(x, dy, 0, dx);
        r.put("relu/dx", b.download(dx));
        for (PoolGeometry g : POOLS) {
            Tensor py = b.zeros(p, pooled(g)), pdx = b.zeros(p, X);
            Tensor pdy = b.upload(p, pooled(g), in.require("dy_" + pool(g), pooled(g)).toDoubles());
            b.maxPoolForward(x, g, PoolPolicy.FIRST, py);
            r.put("maxpool_" + pool(g) + "/y", b.download(py));
            b.maxPoolBackward(x, pdy, g, PoolPolicy.FIRST, pdx);
            r.put("maxpool_" + pool(g) + "/dx", b.download(pdx));
            b.avgPoolForward(x, g, py);
            r.put("avgpool_" + pool(g) + "/y", b.download(py));
            b.avgPoolBackward(pdy, g, pdx);
            r.put("avgpool_" + pool(g) + "/dx", b.download(pdx));
        }
        Tensor sum = b.zeros(p, X);
        b.add(x, b.upload(p, X, in.require("b", X).toDoubles()), sum);
        r.put("add/out", b.download(sum));
        Tensor sc = b.upload(p, X, in.require("x", X).toDoubles());
        b.scale(sc, SCALE);
        r.put("scale/out", b.download(sc));
        Tensor param = b.upload(p, X, in.require("sgd_param", X).toDoubles());
        Tensor buf = b.upload(p, X, in.require("sgd_buf", X).toDoubles());
        b.sgdUpdate(param, b.upload(p, X, in.require("sgd_grad", X).toDoubles()), buf, LR, MOMENTUM, 0, WEIGHT_DECAY, false, false);
        r.put("sgd/param", b.download(param));
        r.put("sgd/buf", b.download(buf));
        return r;
    }

    /** Names compared bitwise; the rest are reported only. */
    static boolean required(String name) { return !name.startsWith("sgd/"); }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            if (args.length >= 2 && args[0].equals("write")) {
                Precision p = args.length >= 4 && args[2].equals("--precision") ? Precision.parse(args[3]) : Precision.FP16;
                Files.write(Path.of(args[1]), inputs(p, 1));
                out.println("torch-parity: inputs (" + p.id() + ") written to " + args[1]);
                return SelfTest.PASSED;
            }
            if (args.length >= 3 && args[0].equals("compare")) {
                String device = args.length >= 5 && args[3].equals("--device") ? args[4] : null;
                return compare(Path.of(args[1]), Path.of(args[2]), device, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (IllegalArgumentException e) {
            err.println("torch-parity: " + e.getMessage());
            return SelfTest.USAGE;
        }
        err.println("usage: TorchParity write IN [--precision fp16|fp32] | compare IN OUT [--device cuda:N]");
        return SelfTest.USAGE;
    }

    static int compare(Path inPath, Path torchPath, String device, PrintStream out) throws IOException {
        for (Path p : new Path[] {inPath, torchPath}) {
            if (!Files.isRegularFile(p)) {
                out.println("torch-parity: " + p + " does not exist (did the previous step fail?)");
                return SelfTest.FAILED;
            }
        }
        Safetensors.Contents in = Safetensors.read(Files.readAllBytes(inPath), inPath.toString());
        Safetensors.Contents torch = Safetensors.read(Files.readAllBytes(torchPath), torchPath.toString());
        Map<String, Map<String, double[]>> results = new LinkedHashMap<>();
        try (CpuBackend cpu = new CpuBackend(2)) {
            results.put("cpu", ours(cpu, in));
        }
        if (device != null) {
            try (Backend gpu = Backends.open(device)) {
                results.put(device, ours(gpu, in));
            } catch (CudaUnavailableException e) {
                out.println("torch-parity: " + device + " skipped, no usable GPU: " + e.getMessage());
            }
        }
        out.println("torch parity: " + in.requireMetadata("precision") + ", PyTorch " + torch.metadata().getOrDefault("torch", "?")
                + " on " + torch.metadata().getOrDefault("device", "?"));
        out.println(String.format(Locale.ROOT, "%-10s %-22s %-8s %s", "backend", "op", "result", "differing values"));
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, Map<String, double[]>> backend : results.entrySet()) {
            for (Map.Entry<String, double[]> e : backend.getValue().entrySet()) {
                double[] t = torch.require(e.getKey()).toDoubles(), o = e.getValue();
                int differ = 0, first = -1;
                for (int i = 0; i < o.length; i++) {
                    if (Double.doubleToLongBits(o[i]) != Double.doubleToLongBits(t[i])) {
                        if (first < 0) first = i;
                        differ++;
                    }
                }
                boolean ok = differ == 0 && o.length == t.length;
                String result = ok ? "PASS" : required(e.getKey()) ? "FAIL" : "differs";
                if (!ok && required(e.getKey())) failures.add(backend.getKey() + " " + e.getKey());
                out.println(String.format(Locale.ROOT, "%-10s %-22s %-8s %d of %d%s", backend.getKey(), e.getKey(), result,
                        differ, o.length, first < 0 ? "" : " (first [" + first + "] ours " + o[first] + " torch " + t[first] + ")"));
            }
        }
        out.println(failures.isEmpty() ? "all bitwise checks pass" : failures.size() + " bitwise checks fail: " + failures);
        return failures.isEmpty() ? SelfTest.PASSED : SelfTest.FAILED;
    }
}
