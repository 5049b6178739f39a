package io.tiebreak.runtime.backend.cuda;

import io.tiebreak.runtime.backend.CheckedBackend;
import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.precision.Half;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Precision.Format;
import io.tiebreak.runtime.precision.Transcendentals;
import io.tiebreak.runtime.tensor.Shapes;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The CUDA backend: tensors in device memory, every op a kernel of src/main/cuda (compiled into the jar's fatbin),
 * the same semantics as {@link io.tiebreak.runtime.backend.cpu.CpuBackend} (docs/design.md, "Precision semantics").
 * Elementwise ops, pooling under every policy, batch norm and the bias gradients give the CPU's bits; GEMMs
 * (conv, linear) accumulate in a different but fixed order, so they agree with the CPU within the rounding bound
 * the self-test states, and repeat bit for bit on any GPU. fp16 values are stored as binary16 on the device.
 *
 * <p>One backend serves one training thread, like the CPU backend. Tensors free their device memory when they
 * become unreachable (see {@link MemoryPool}).
 */
public final class CudaBackend extends CheckedBackend {
    /** Blocks of the norm kernel: fixed, so norms do not depend on the GPU. */
    static final int NORM_BLOCKS = 120;

    // Epilogue and bias modes of gemm.cuh; pool policy codes of pool.cuh.
    private static final int STORE_ACC = 0, STORE_ROWS = 1, STORE_CONV = 2;
    private static final int BIAS_NONE = 0, BIAS_ROW = 1, BIAS_COL = 2;

    /** Grow-only device work areas, like the CPU backend's Scratch. */
    private enum Slot { COL, DCOL, DYT, PARTIAL, LEAVES, PART_A, PART_B, COEF, ROW_LOSS, ROW_CORRECT, LABELS, COUNTER, NORMS, SUMS }

    private final Device device;
    private final MemoryPool pool;
    private final Tensor.Owner owner;
    private final Map<Slot, long[]> scratch = new EnumMap<>(Slot.class); // slot -> {address, bytes}

    CudaBackend(Device device, String name) {
        this.device = device;
        this.owner = new Tensor.Owner(name);
        this.pool = new MemoryPool(new MemoryPool.Raw() {
            @Override public long allocate(long bytes) { return device.allocate(bytes); }
            @Override public void free(long address) { device.free(address); }
            @Override public void synchronize() { device.synchronize(); }
        }, device.totalMemory(), System::gc);
    }

    /**
     * Opens the GPU that nvidia-smi (and Spark's discovery script) calls {@code index}.
     *
     * @throws CudaUnavailableException naming why when there is no driver, no such GPU or no kernels in this jar
     */
    public static CudaBackend open(int index) {
        CudaDevice d = CudaDevice.open(index);
        return new CudaBackend(d, "cuda:" + index + " (" + d.name() + ")");
    }

    /** How the packaged kernels were built, for result rows: "simt-fp32acc, nvcc 13.0", or "none". */
    public static String kernelDescription() { return KernelImage.describe(); }

    @Override public String name() { return owner.name(); }

    /** One host thread drives the GPU. */
    @Override public int threads() { return 1; }

    // ---- plumbing --------------------------------------------------------------------------------------------

    private DeviceBuffer buf(Tensor t) {
        if (t.owner() != owner || !(t.storage() instanceof DeviceBuffer)) {
            throw new IllegalArgumentException(t + " is not a tensor of this CUDA backend");
        }
        return (DeviceBuffer) t.storage();
    }

    private long addr(Tensor t) { return buf(t).address; }

    private long addrOrNull(Tensor t) { return t == null ? 0 : addr(t); }

    /** Kernel-name suffix of kernels taking values of a format: f16, f32 or f64. */
    static String suffix(Format f) {
        switch (f) {
            case HALF: return "f16";
            case SINGLE: return "f32";
            default: return "f64";
        }
    }

    /** Kernel-name suffix of value kernels: f16, f32 or f64. */
    private static String sfx(Precision p) { return suffix(p.valueFormat()); }

    /** Kernel-name suffix of matmul kernels: the value suffix, or "mixed". */
    private static String mm(Precision p) { return p == Precision.MIXED ? "mixed" : sfx(p); }

    /** Kernel-name suffix of the accumulation type: f32, or f64 for fp64. */
    private static String acc(Precision p) { return suffix(p.arithmeticFormat()); }

    private static int accBytes(Precision p) { return p.arithmeticFormat().bytes(); }

    /** A grid-stride kernel over n items; its first argument is n. Nothing is launched when n is 0. */
    private void run(String kernel, long n, Consumer<KernelArgs> args) {
        if (n <= 0) return;
        KernelArgs a = new KernelArgs().i64(n);
        args.accept(a);
        device.launch(kernel, Launch.linear(n), a);
    }

    private long scratch(Slot slot, long bytes) {
        long[] s = scratch.get(slot);
        if (s != null && s[1] >= bytes) return s[0];
        if (s != null) pool.release(s[0], s[1]);
        long size = MemoryPool.sizeClass(Math.max(bytes, 1));
        long address = pool.allocate(size);
        scratch.put(slot, new long[] {address, size});
        return address;
    }

    // ---- memory ----------------------------------------------------------------------------------------------

    @Override
    public Tensor zeros(Precision p, int... shape) {
        int n = Shapes.size(shape);
        DeviceBuffer b = pool.buffer(p.valueFormat(), n);
        device.zero(b.address, b.bytes);
        return new Tensor(owner, p, shape, b);
    }

    /** A tensor whose contents are about to be overwritten. */
    private Tensor empty(Precision p, int... shape) {
        return new Tensor(owner, p, shape, pool.buffer(p.valueFormat(), Shapes.size(shape)));
    }

    @Override
    public Tensor upload(Precision p, int[] shape, double[] values) {
        Tensor t = empty(p, shape); // no zero fill: write overwrites every value
        write(t, values);
        return t;
    }

    @Override
    protected void writeKernel(Tensor t, double[] values) {
        Object host;
        switch (buf(t).format) {
            case HALF: {
                short[] h = new short[values.length];
                for (int i = 0; i < h.length; i++) h[i] = Half.toBits((float) Half.round(values[i])); // one rounding
                host = h;
                break;
            }
            case SINGLE: {
                float[] f = new float[values.length];
                for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
                host = f;
                break;
            }
            default: host = values;
        }
        copyIn(t, host);
    }

    @Override
    protected void writeKernel(Tensor t, float[] values) {
        Object host;
        switch (buf(t).format) {
            case HALF: {
                short[] h = new short[values.length];
                for (int i = 0; i < h.length; i++) h[i] = Half.toBits(values[i]);
                host = h;
                break;
            }
            case SINGLE: host = values; break;
            default: {
                double[] d = new double[values.length];
                for (int i = 0; i < d.length; i++) d[i] = values[i];
                host = d;
            }
        }
        copyIn(t, host);
    }

    private void copyIn(Tensor t, Object host) {
        if (t.size() > 0) device.upload(host, addr(t), (long) t.size() * buf(t).format.bytes());
    }

    @Override
    public double[] download(Tensor t) {
        int n = t.size();
        double[] out = new double[n];
        if (n == 0) return out;
        DeviceBuffer b = buf(t);
        long bytes = (long) n * b.format.bytes();
        switch (b.format) {
            case HALF: {
                short[] h = new short[n];
                device.download(b.address, h, bytes);
                for (int i = 0; i < n; i++) out[i] = Half.fromBits(h[i]);
                break;
            }
            case SINGLE: {
                float[] f = new float[n];
                device.download(b.address, f, bytes);
                for (int i = 0; i < n; i++) out[i] = f[i];
                break;
            }
            default: device.download(b.address, out, bytes);
        }
        return out;
    }

    @Override
    protected void copyKernel(Tensor src, Tensor dst) {
        if (src.size() > 0) device.copy(addr(src), addr(dst), (long) src.size() * buf(src).format.bytes());
    }

    @Override
    protected void convertKernel(Tensor src, Tensor dst) {
        String from = suffix(buf(src).format), to = suffix(buf(dst).format);
        run("tb_convert_" + from + "_" + to, src.size(), a -> a.ptr(addr(src)).ptr(addr(dst)));
    }

    @Override
    public void fill(Tensor t, double value) {
        switch (buf(t).format) {
            case HALF:
                int half = Half.toBits((float) Half.round(value)) & 0xffff;
                run("tb_fill_u16", t.size(), a -> a.ptr(addr(t)).i32(half));
                break;
            case SINGLE:
                int single = Float.floatToRawIntBits((float) value);
                run("tb_fill_u32", t.size(), a -> a.ptr(addr(t)).i32(single));
                break;
            default:
                long bits = Double.doubleToRawLongBits(value);
                run("tb_fill_u64", t.size(), a -> a.ptr(addr(t)).i64(bits));
        }
    }

    // ---- convolution and linear ------------------------------------------------------------------------------

    /**
     * C[m,n] = op(A) op(B) through gemm.cuh, split over k when the plan says so; op is "nn", "nt" or "tn"
     * (transposes of A and B). mode/bias/plane select the epilogue (see gemm.cuh).
     */
    private void gemm(Precision p, String op, int m, int n, int k, long a, int lda, long b, int ldb, int mode,
                      long out, int ldc, long bias, int biasMode, int plane) {
        if (m == 0 || n == 0) return;
        GemmPlan plan = GemmPlan.of(m, n, k);
        long partial = plan.splits() > 1 ? scratch(Slot.PARTIAL, (long) plan.splits() * m * n * accBytes(p)) : 0;
        device.launch("tb_gemm_" + op + "_" + plan.tile() + "_" + mm(p), plan.launch(), new KernelArgs()
                .i32(m).i32(n).i32(k).ptr(a).i32(lda).ptr(b).i32(ldb).i32(plan.kChunk()).i32(mode).ptr(out)
                .i32(ldc).ptr(bias).i32(biasMode).i32(plane).ptr(partial));
        if (partial != 0) {
            run("tb_gemm_reduce_" + mm(p), (long) m * n, x -> x.i32(m).i32(n).i32(plan.splits()).ptr(partial)
                    .i32(mode).ptr(out).i32(ldc).ptr(bias).i32(biasMode).i32(plane));
        }
    }

    /** col = im2col(x) in the COL scratch: [C*kh*kw][N*Ho*Wo], x's storage format. */
    private long im2col(Tensor x, ConvGeometry g) {
        int n = x.dim(0), h = x.dim(2), w = x.dim(3), ho = g.outH(h), wo = g.outW(w);
        long np = (long) n * ho * wo, rows = g.patchSize();
        long col = scratch(Slot.COL, rows * np * buf(x).format.bytes());
        run("tb_im2col_" + sfx(x.precision()), rows * np, a -> a.ptr(addr(x)).i32(g.inChannels()).i32(h).i32(w)
                .i32(g.kernelH()).i32(g.kernelW()).i32(g.strideH()).i32(g.strideW()).i32(g.padH()).i32(g.padW())
                .i32(ho).i32(wo).i64(np).ptr(col));
        return col;
    }

    private static int columns(long np) {
        if (np > Integer.MAX_VALUE) throw new IllegalArgumentException("convolution too large: " + np + " output pixels");
        return (int) np;
    }

    @Override
    protected void conv2dForwardKernel(Tensor x, Tensor w, Tensor b, ConvGeometry g, Tensor y) {
        int n = x.dim(0), h = x.dim(2), wd = x.dim(3);
        int plane = g.outH(h) * g.outW(wd), np = columns((long) n * plane), ck = g.patchSize();
        long col = im2col(x, g);
        gemm(x.precision(), "nn", g.outChannels(), np, ck, addr(w), ck, col, np, STORE_CONV, addr(y), 0,
                addrOrNull(b), b == null ? BIAS_NONE : BIAS_ROW, plane);
    }

    @Override
    protected void conv2dBackwardKernel(Tensor x, Tensor w, Tensor dy, ConvGeometry g, Tensor dx, Tensor dw,
                                        Tensor db) {
        int n = x.dim(0), h = x.dim(2), wd = x.dim(3), ho = g.outH(h), wo = g.outW(wd);
        Precision p = x.precision();
        int cout = g.outChannels(), plane = ho * wo, np = columns((long) n * plane), ck = g.patchSize();
        // dy as [cout][n*P], rounded to the matmul operand format: the GEMMs' layout.
        long dyt = scratch(Slot.DYT, (long) cout * np * buf(dy).format.bytes());
        run("tb_conv_dy_rows_" + mm(p), (long) cout * np, a -> a.ptr(addr(dy)).i32(cout).i32(plane).i64(np).ptr(dyt));
        if (db != null) {
            long sums = rowSums(p, dyt, cout, np);
            run("tb_round_store_" + mm(p), cout, a -> a.ptr(sums).ptr(addr(db)));
        }
        long col = im2col(x, g);
        gemm(p, "nt", cout, ck, np, dyt, np, col, np, STORE_ROWS, addr(dw), ck, 0, BIAS_NONE, 0);
        if (dx != null) {
            long dcol = scratch(Slot.DCOL, (long) ck * np * accBytes(p));
            gemm(p, "tn", ck, np, cout, addr(w), ck, dyt, np, STORE_ACC, dcol, np, 0, BIAS_NONE, 0);
            run("tb_col2im_" + mm(p), (long) dx.size(), a -> a.ptr(dcol).i32(g.inChannels()).i32(h).i32(wd)
                    .i32(g.kernelH()).i32(g.kernelW()).i32(g.strideH()).i32(g.strideW()).i32(g.padH())
                    .i32(g.padW()).i32(ho).i32(wo).i64(np).ptr(addr(dx)));
        }
    }

    /**
     * Sums of `rows` consecutive runs of `length` stored values (FloatSumKernels.sum's tree), into the SUMS scratch in
     * the accumulation type; returns its address.
     */
    private long rowSums(Precision p, long src, int rows, int length) {
        int leaves = SumTree.leaves(length);
        long leafSums = scratch(Slot.LEAVES, (long) rows * leaves * accBytes(p));
        long sums = scratch(Slot.SUMS, (long) rows * accBytes(p));
        run("tb_leaf_sum_" + sfx(p), (long) rows * leaves, a -> a.i32(length).i32(leaves).ptr(src).ptr(leafSums));
        run("tb_tree_combine_" + acc(p), rows, a -> a.i32(length).i32(leaves).i32(1).ptr(leafSums).ptr(sums));
        return sums;
    }

    @Override
    protected void linearForwardKernel(Tensor x, Tensor w, Tensor b, Tensor y) {
        int n = x.dim(0), in = w.dim(1), out = w.dim(0);
        gemm(x.precision(), "nt", n, out, in, addr(x), in, addr(w), in, STORE_ROWS, addr(y), out, addrOrNull(b),
                b == null ? BIAS_NONE : BIAS_COL, 0);
    }

    @Override
    protected void linearBackwardKernel(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db) {
        int n = x.dim(0), in = w.dim(1), out = w.dim(0);
        Precision p = x.precision();
        gemm(p, "tn", out, in, n, addr(dy), out, addr(x), in, STORE_ROWS, addr(dw), in, 0, BIAS_NONE, 0);
        if (db != null) run("tb_linear_bias_grad_" + mm(p), out, a -> a.ptr(addr(dy)).i32(n).i32(out).ptr(addr(db)));
        if (dx != null) gemm(p, "nn", n, in, out, addr(dy), out, addr(w), in, STORE_ROWS, addr(dx), in, 0, BIAS_NONE, 0);
    }

    // ---- activations and pooling -----------------------------------------------------------------------------

    @Override
    protected void reluForwardKernel(Tensor x, Tensor y) {
        run("tb_relu_forward_" + sfx(x.precision()), x.size(), a -> a.ptr(addr(x)).ptr(addr(y)));
    }

    @Override
    protected void reluBackwardKernel(Tensor x, Tensor dy, double alpha, Tensor dx) {
        Precision p = x.precision();
        run("tb_relu_backward_" + sfx(p), x.size(), a -> a.ptr(addr(x)).ptr(addr(dy)).scalar(p, alpha).ptr(addr(dx)));
    }

    /** Kernel code of a policy (TB_POOL_* in pool.cuh). */
    static int policyCode(PoolPolicy.Kind kind) {
        switch (kind) {
            case FIRST: return 0;
            case LAST: return 1;
            case MIN_NORM: return 2;
            case ALL: return 3;
            default: return 4;
        }
    }

    @Override
    protected long maxPoolForwardKernel(Tensor x, PoolGeometry g, PoolPolicy policy, double beta, double oneMinusBeta,
                                        Tensor y) {
        int h = x.dim(2), w = x.dim(3), ho = g.out(h), wo = g.out(w);
        Precision p = x.precision();
        long counter = scratch(Slot.COUNTER, 8);
        device.zero(counter, 8);
        boolean composite = policy.form() == PoolPolicy.Form.COMPOSITE;
        run("tb_maxpool_forward_" + sfx(p), y.size(), a -> a.ptr(addr(x)).i32(h).i32(w).i32(ho).i32(wo)
                .i32(g.kernel()).i32(g.stride()).i32(g.padding()).i32(composite ? 1 : 0).scalar(p, beta)
                .scalar(p, oneMinusBeta).ptr(addr(y)).ptr(counter));
        long[] ties = new long[1];
        device.download(counter, ties, 8);
        return ties[0];
    }

    @Override
    protected void maxPoolBackwardKernel(Tensor x, Tensor dy, PoolGeometry g, PoolPolicy policy, double beta,
                                         double oneMinusBeta, Tensor dx) {
        int h = x.dim(2), w = x.dim(3), ho = g.out(h), wo = g.out(w);
        Precision p = x.precision();
        boolean composite = policy.form() == PoolPolicy.Form.COMPOSITE;
        // Windows that cannot overlap: one thread per window writes its inputs. Otherwise each input gathers.
        boolean disjoint = g.stride() >= g.kernel();
        if (disjoint) device.zero(addr(dx), (long) dx.size() * buf(dx).format.bytes());
        run("tb_maxpool_backward_" + (disjoint ? "window_" : "gather_") + sfx(p), disjoint ? dy.size() : dx.size(),
                a -> a.ptr(addr(x)).ptr(addr(dy)).i32(h).i32(w).i32(ho).i32(wo).i32(g.kernel())
                        .i32(g.stride()).i32(g.padding()).i32(policyCode(policy.kind())).i32(composite ? 1 : 0)
                        .scalar(p, beta).scalar(p, oneMinusBeta).ptr(addr(dx)));
    }

    @Override
    protected void avgPoolForwardKernel(Tensor x, PoolGeometry g, Tensor y) {
        int h = x.dim(2), w = x.dim(3), ho = g.out(h), wo = g.out(w);
        run("tb_avgpool_forward_" + sfx(x.precision()), y.size(), a -> a.ptr(addr(x)).i32(h).i32(w).i32(ho).i32(wo)
                .i32(g.kernel()).i32(g.stride()).i32(g.padding()).ptr(addr(y)));
    }

    @Override
    protected void avgPoolBackwardKernel(Tensor dy, PoolGeometry g, Tensor dx) {
        int h = dx.dim(2), w = dx.dim(3), ho = g.out(h), wo = g.out(w);
        run("tb_avgpool_backward_" + sfx(dx.precision()), dx.size(), a -> a.ptr(addr(dy)).i32(h).i32(w).i32(ho)
                .i32(wo).i32(g.kernel()).i32(g.stride()).i32(g.padding()).ptr(addr(dx)));
    }

    @Override
    protected void adaptiveAvgPoolForwardKernel(Tensor x, Tensor y) {
        run("tb_adaptive_avgpool_forward_" + sfx(x.precision()), y.size(), a -> a.ptr(addr(x)).i32(x.dim(2))
                .i32(x.dim(3)).i32(y.dim(2)).i32(y.dim(3)).ptr(addr(y)));
    }

    @Override
    protected void adaptiveAvgPoolBackwardKernel(Tensor dy, Tensor dx) {
        run("tb_adaptive_avgpool_backward_" + sfx(dx.precision()), dx.size(), a -> a.ptr(addr(dy)).i32(dx.dim(2))
                .i32(dx.dim(3)).i32(dy.dim(2)).i32(dy.dim(3)).ptr(addr(dx)));
    }

    // ---- concatenation ---------------------------------------------------------------------------------------

    @Override
    protected void concatForwardKernel(Tensor a, Tensor b, Tensor y) { concat("tb_concat_forward_", a, b, y, a, b, y); }

    @Override
    protected void concatBackwardKernel(Tensor dy, Tensor da, Tensor db) {
        concat("tb_concat_backward_", da, db, dy, dy, da, db);
    }

    /** One concat.cuh kernel over y's values; its pointer arguments are p0, p1, p2 in that order. */
    private void concat(String kernel, Tensor a, Tensor b, Tensor y, Tensor p0, Tensor p1, Tensor p2) {
        if (y.size() == 0) return;
        long perA = a.size() / y.dim(0), perB = b.size() / y.dim(0);
        run(kernel + sfx(y.precision()), y.size(), k -> k.i64(perA).i64(perB).ptr(addr(p0)).ptr(addr(p1)).ptr(addr(p2)));
    }

    // ---- normalization and elementwise -----------------------------------------------------------------------

    /**
     * Per-image plane sums of x (leafKernel selects sum, squared deviation or deviation-times-dy) into part[c][n]
     * (PART_A or PART_B scratch), as FloatNormKernels fills its part array.
     */
    private long planeSums(Precision p, String leafKernel, Slot into, int n, int c, int spatial, Consumer<KernelArgs> leafArgs) {
        int leaves = SumTree.leaves(spatial);
        long planes = (long) n * c;
        long leafSums = scratch(Slot.LEAVES, planes * leaves * accBytes(p));
        long part = scratch(into, planes * accBytes(p));
        run(leafKernel + sfx(p), planes * leaves, a -> {
            a.i32(spatial).i32(leaves);
            leafArgs.accept(a);
            a.ptr(leafSums);
        });
        run("tb_tree_combine_" + acc(p), planes, a -> a.i32(spatial).i32(leaves).i32(c).ptr(leafSums).ptr(part));
        return part;
    }

    @Override
    protected void batchNormForwardKernel(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                          boolean training, double momentum, double eps, Tensor y, Tensor saveMean,
                                          Tensor saveInvStd) {
        int n = x.dim(0), c = x.dim(1), spatial = x.size() / Math.max(1, n * c), count = n * spatial;
        if (n * c == 0) return;
        Precision p = x.precision();
        long coef = scratch(Slot.COEF, 4L * c * accBytes(p));
        if (training) {
            long sums = planeSums(p, "tb_leaf_sum_", Slot.PART_A, n, c, spatial, a -> a.ptr(addr(x)));
            run("tb_bn_mean_" + sfx(p), c, a -> a.i32(n).i32(count).ptr(sums).ptr(addr(saveMean)));
            long squares = planeSums(p, "tb_leaf_sqdev_", Slot.PART_A, n, c, spatial,
                    a -> a.i32(c).ptr(addr(x)).ptr(addr(saveMean)));
            run("tb_bn_train_stats_" + sfx(p), c, a -> a.i32(n).i32(count).ptr(squares).ptr(addr(saveMean))
                    .ptr(addr(gamma)).ptr(addr(beta)).ptr(addr(runningMean)).ptr(addr(runningVar))
                    .scalar(p, momentum).scalar(p, eps).ptr(addr(saveInvStd)).ptr(coef));
        } else {
            run("tb_bn_eval_coef_" + sfx(p), c, a -> a.ptr(addr(gamma)).ptr(addr(beta)).ptr(addr(runningMean))
                    .ptr(addr(runningVar)).scalar(p, eps).ptr(coef));
        }
        run("tb_bn_apply_" + sfx(p), x.size(), a -> a.ptr(addr(x)).i32(c).i32(spatial).ptr(coef).ptr(addr(y)));
    }

    @Override
    protected void batchNormBackwardKernel(Tensor x, Tensor gamma, Tensor dy, Tensor saveMean, Tensor saveInvStd,
                                           Tensor dx, Tensor dgamma, Tensor dbeta) {
        int n = x.dim(0), c = x.dim(1), spatial = x.size() / Math.max(1, n * c), count = n * spatial;
        if (n * c == 0) return;
        Precision p = x.precision();
        long sumDy = planeSums(p, "tb_leaf_sum_", Slot.PART_A, n, c, spatial, a -> a.ptr(addr(dy)));
        long dot = planeSums(p, "tb_leaf_devtimes_", Slot.PART_B, n, c, spatial,
                a -> a.i32(c).ptr(addr(x)).ptr(addr(dy)).ptr(addr(saveMean)));
        long coef = scratch(Slot.COEF, 4L * c * accBytes(p));
        run("tb_bn_backward_coef_" + sfx(p), c, a -> a.i32(n).i32(count).ptr(sumDy).ptr(dot).ptr(addr(gamma))
                .ptr(addr(saveMean)).ptr(addr(saveInvStd)).ptr(addr(dgamma)).ptr(addr(dbeta)).ptr(coef));
        run("tb_bn_backward_apply_" + sfx(p), x.size(), a -> a.ptr(addr(x)).ptr(addr(dy)).i32(c).i32(spatial)
                .ptr(coef).ptr(addr(dx)));
    }

    @Override
    protected void addKernel(Tensor a, Tensor b, Tensor out) {
        run("tb_add_" + sfx(a.precision()), a.size(), k -> k.ptr(addr(a)).ptr(addr(b)).ptr(addr(out)));
    }

    @Override
    protected void scaleKernel(Tensor t, double factor) {
        run("tb_scale_" + sfx(t.precision()), t.size(), a -> a.ptr(addr(t)).scalar(t.precision(), factor));
    }

    @Override
    public long countNonFinite(Tensor t) {
        long counter = scratch(Slot.COUNTER, 8);
        device.zero(counter, 8);
        run("tb_count_nonfinite_" + sfx(t.precision()), t.size(), a -> a.ptr(addr(t)).ptr(counter));
        long[] count = new long[1];
        device.download(counter, count, 8);
        return count[0];
    }

    @Override
    public double[] norms(Tensor t) {
        if (t.size() == 0) return new double[] {0, 0, 0};
        long partial = scratch(Slot.NORMS, 3L * NORM_BLOCKS * 8);
        device.launch("tb_norm_partials_" + sfx(t.precision()), Launch.blocks(NORM_BLOCKS),
                new KernelArgs().i64(t.size()).ptr(addr(t)).ptr(partial));
        double[] parts = new double[3 * NORM_BLOCKS];
        device.download(partial, parts, parts.length * 8L);
        double l1 = 0, l2 = 0, linf = 0;
        for (int b = 0; b < NORM_BLOCKS; b++) {
            l1 += parts[3 * b];
            l2 += parts[3 * b + 1];
            double m = parts[3 * b + 2];
            if (m > linf || m != m) linf = m; // NaN sticks, as FloatElementwiseKernels.norms
        }
        return new double[] {l1, Transcendentals.sqrt(l2), linf};
    }

    // ---- loss ------------------------------------------------------------------------------------------------

    @Override
    protected LossResult softmaxCrossEntropyKernel(Tensor logits, int[] labels, double lossScale, Tensor dlogits) {
        int n = logits.dim(0), k = logits.dim(1);
        if (n == 0) return new LossResult(Double.NaN, 0);
        Precision p = logits.precision();
        long labelBuf = scratch(Slot.LABELS, 4L * n);
        device.upload(labels, labelBuf, 4L * n);
        long rowLoss = scratch(Slot.ROW_LOSS, (long) n * accBytes(p));
        long rowCorrect = scratch(Slot.ROW_CORRECT, 4L * n);
        run("tb_softmax_xent_" + sfx(p), n, a -> a.i32(k).ptr(addr(logits)).ptr(labelBuf).scalar(p, lossScale)
                .i32(dlogits == null ? 0 : 1).ptr(addrOrNull(dlogits)).ptr(rowLoss).ptr(rowCorrect));
        int[] correct = new int[n];
        device.download(rowCorrect, correct, 4L * n);
        int right = 0;
        for (int c : correct) right += c;
        // The mean as FloatLossKernels forms it: rows added in order in the arithmetic type, divided, rounded once.
        double loss;
        if (p.isDouble()) {
            double[] rows = new double[n];
            device.download(rowLoss, rows, 8L * n);
            double total = 0;
            for (double r : rows) total += r;
            loss = total / n;
        } else {
            float[] rows = new float[n];
            device.download(rowLoss, rows, 4L * n);
            float total = 0;
            for (float r : rows) total += r;
            loss = p.valueFormat().round(total / n);
        }
        return new LossResult(loss, right);
    }

    // ---- optimizers ------------------------------------------------------------------------------------------

    @Override
    protected void sgdUpdateKernel(Tensor param, Tensor grad, Tensor momentumBuf, double lr, double momentum,
                                   double keep, double weightDecay, boolean nesterov, boolean firstStep) {
        Precision p = param.precision();
        run("tb_sgd_update_" + sfx(p), param.size(), a -> a.ptr(addr(param)).ptr(addr(grad))
                .ptr(addrOrNull(momentumBuf)).scalar(p, lr).scalar(p, momentum).scalar(p, keep)
                .scalar(p, weightDecay).i32(nesterov ? 1 : 0).i32(firstStep ? 1 : 0));
    }

    @Override
    protected void adamUpdateKernel(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, double stepSize,
                                    double oneMinusBeta1, double beta2, double oneMinusBeta2, double bc2Sqrt,
                                    double eps, double weightDecay) {
        Precision p = param.precision();
        run("tb_adam_update_" + sfx(p), param.size(), a -> a.ptr(addr(param)).ptr(addr(grad)).ptr(addr(expAvg))
                .ptr(addr(expAvgSq)).scalar(p, stepSize).scalar(p, oneMinusBeta1).scalar(p, beta2)
                .scalar(p, oneMinusBeta2).scalar(p, bc2Sqrt).scalar(p, eps).scalar(p, weightDecay));
    }

    /** Waits for every queued kernel (benchmarks time whole steps with it). */
    public void synchronize() { device.synchronize(); }

    /** Device memory held by this backend (live tensors, cache and scratch), in bytes. */
    public long deviceBytes() { return pool.deviceBytes(); }

    @Override
    public void close() {
        try {
            device.synchronize();
            for (long[] s : scratch.values()) pool.release(s[0], s[1]);
            scratch.clear();
            pool.close();
        } finally {
            device.close();
        }
    }
}
