package io.tiebreak.runtime.check;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.backend.Backends;
import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.backend.cuda.CudaUnavailableException;
import io.tiebreak.runtime.data.Augmentation;
import io.tiebreak.runtime.data.ImageData;
import io.tiebreak.runtime.data.InMemoryImages;
import io.tiebreak.runtime.data.MnistFamily;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.optim.Schedule;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.train.CheckpointStore;
import io.tiebreak.runtime.train.EpochMetrics;
import io.tiebreak.runtime.train.RunResult;
import io.tiebreak.runtime.train.TrainConfig;
import io.tiebreak.runtime.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The device check for whole training runs: the same run (config, data, seed) on the CPU backend and on a GPU
 * backend, epoch by epoch. GEMMs add in a different order on the GPU, so the runs drift apart by rounding; the
 * per-epoch losses must stay within a relative tolerance of each other and the accuracies within a few points:
 * fp64 1e-9 and 0, fp32 1e-3 and 1%, fp16 and mixed 5e-2 and 5% (where binary16 rounding can turn an ulp of
 * difference into a different tie). A wrong kernel moves the loss by far more within one epoch.
 *
 * <p>{@code java -cp gpu-runtime.jar io.tiebreak.runtime.check.TrainingParity [--device cuda:0]
 * [--data DIR] [--train-limit N] [--vgg-train-limit N] [--epochs E]}: LeNet-5 on Fashion-MNIST (the IDX directory,
 * if present) and VGG11
 * on CIFAR-shaped synthetic images, in fp32 and fp16; exit codes as {@link SelfTest}.
 */
public final class TrainingParity {
    /** One epoch of one run on both backends. */
    public record Row(String run, EpochMetrics cpu, EpochMetrics gpu, boolean passed) {}

    static double lossTolerance(Precision p) {
        switch (p) {
            case FP64: return 1e-9;
            case FP32: return 1e-3;
            default: return 5e-2;
        }
    }

    static double accuracyTolerance(Precision p) {
        switch (p) {
            case FP64: return 0;
            case FP32: return 0.01;
            default: return 0.05;
        }
    }

    private TrainingParity() {}

    static boolean close(double a, double b, double rel) {
        if (a != a || b != b) return a != a && b != b;
        return Math.abs(a - b) <= rel * Math.max(1, Math.max(Math.abs(a), Math.abs(b)));
    }

    /** Trains cfg on both backends and compares every epoch. */
    public static List<Row> compare(String name, TrainConfig cfg, ImageData train, ImageData test, Backend gpu, Backend cpu)
            throws IOException {
        RunResult c = new Trainer(cfg, cpu).run(train, test, CheckpointStore.NONE, m -> {});
        RunResult g = new Trainer(cfg, gpu).run(train, test, CheckpointStore.NONE, m -> {});
        List<Row> rows = new ArrayList<>();
        double lt = lossTolerance(cfg.precision()), at = accuracyTolerance(cfg.precision());
        for (int e = 0; e < Math.max(c.epochs().size(), g.epochs().size()); e++) {
            EpochMetrics mc = e < c.epochs().size() ? c.epochs().get(e) : null;
            EpochMetrics mg = e < g.epochs().size() ? g.epochs().get(e) : null;
            boolean ok = mc != null && mg != null && close(mc.trainLoss(), mg.trainLoss(), lt)
                    && close(mc.testLoss(), mg.testLoss(), lt)
                    && Math.abs(mc.trainAccuracy() - mg.trainAccuracy()) <= at + 1e-12
                    && Math.abs(mc.testAccuracy() - mg.testAccuracy()) <= at + 1e-12;
            rows.add(new Row(name, mc, mg, ok));
        }
        if (c.status() != g.status()) rows.add(new Row(name + " status " + c.status() + " vs " + g.status(), null, null, false));
        return rows;
    }

    /** CIFAR-shaped images whose class brightens a column band (a learnable signal, flat regions full of ties). */
    public static InMemoryImages synthetic(int n, int channels, int size, long seed) {
        Rng rng = Rng.of(seed, "parity-images");
        int per = channels * size * size;
        byte[] px = new byte[n * per];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(10);
            for (int j = 0; j < per; j++) {
                int band = (j % size) * 10 / size;
                px[i * per + j] = (byte) ((band == labels[i] ? 170 : 50) + rng.nextInt(4) * 16);
            }
        }
        List<String> names = new ArrayList<>();
        for (int k = 0; k < 10; k++) names.add("class" + k);
        return new InMemoryImages(channels, size, size, names, px, labels);
    }

    public static TrainConfig config(ImageData data, ModelSpec.Network net, Precision p, PoolPolicy pool, int epochs) {
        ModelSpec spec = new ModelSpec(net, false, data.channels(), data.height(), data.width(), data.classNames().size());
        return new TrainConfig(spec, p, pool, 0, OptimizerSpec.studySgd(), Schedule.cosine(), 0.02, 128, 100, epochs, 5,
                Normalization.half(data.channels()), Augmentation.NONE);
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        String device = "cuda:0";
        Path data = MnistFamily.DEBIAN_FASHION_MNIST;
        int trainLimit = 2048, vggTrainLimit = 512, epochs = 2;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) throw new IllegalArgumentException("missing value after " + a);
                String v = args[++i];
                switch (a) {
                    case "--device": device = v; break;
                    case "--data": data = Path.of(v); break;
                    case "--train-limit": trainLimit = Integer.parseInt(v); break;
                    case "--vgg-train-limit": vggTrainLimit = Integer.parseInt(v); break;
                    case "--epochs": epochs = Integer.parseInt(v); break;
                    default: throw new IllegalArgumentException("unknown argument " + a);
                }
            }
        } catch (IllegalArgumentException e) { // NumberFormatException included
            err.println("training-parity: " + e.getMessage()
                    + "; usage: [--device cuda:N] [--data IDX_DIR] [--train-limit N] [--vgg-train-limit N] [--epochs E]");
            return SelfTest.USAGE;
        }
        Backend gpu;
        try {
            gpu = Backends.open(device);
        } catch (CudaUnavailableException e) {
            out.println("training-parity: SKIPPED, no usable GPU: " + e.getMessage());
            return SelfTest.NO_GPU;
        }
        List<Row> rows = new ArrayList<>();
        try (Backend g = gpu; CpuBackend cpu = CpuBackend.allCores()) {
            out.println("training parity: " + g.name() + " against cpu (" + cpu.description() + ")");
            out.println(String.format(Locale.ROOT, "%-34s %5s %12s %12s %8s %8s %12s %12s %8s %8s %s", "run", "epoch",
                    "cpu train", "gpu train", "cpu acc", "gpu acc", "cpu test", "gpu test", "cpu acc", "gpu acc", "result"));
            ImageData lenetTrain, lenetTest;
            if (Files.isDirectory(data)) {
                lenetTrain = MnistFamily.load(data, true).head(trainLimit);
                lenetTest = MnistFamily.load(data, false).head(1000);
            } else {
                out.println("(no IDX directory at " + data + ": LeNet-5 runs on synthetic 28x28 images)");
                lenetTrain = synthetic(trainLimit, 1, 28, 1);
                lenetTest = synthetic(1000, 1, 28, 2);
            }
            // VGG11 on the CPU is slow (the GPU machine may lack a native BLAS): fewer images.
            ImageData vggTrain = synthetic(vggTrainLimit, 3, 32, 3), vggTest = synthetic(Math.min(1000, vggTrainLimit), 3, 32, 4);
            PoolPolicy composite = PoolPolicy.beta(1000, PoolPolicy.Form.COMPOSITE);
            Object[][] runs = {
                {"lenet5 fp32 first", lenetTrain, lenetTest, ModelSpec.Network.LENET5, Precision.FP32, PoolPolicy.FIRST},
                {"lenet5 fp16 beta:1000/composite", lenetTrain, lenetTest, ModelSpec.Network.LENET5, Precision.FP16, composite},
                {"lenet5 mixed min-norm", lenetTrain, lenetTest, ModelSpec.Network.LENET5, Precision.MIXED, PoolPolicy.MIN_NORM},
                {"lenet5 fp64 first", lenetTrain, lenetTest, ModelSpec.Network.LENET5, Precision.FP64, PoolPolicy.FIRST},
                {"vgg11 fp32 first", vggTrain, vggTest, ModelSpec.Network.VGG11, Precision.FP32, PoolPolicy.FIRST},
                {"vgg11 fp16 first", vggTrain, vggTest, ModelSpec.Network.VGG11, Precision.FP16, PoolPolicy.FIRST},
            };
            for (Object[] r : runs) {
                ImageData tr = (ImageData) r[1], te = (ImageData) r[2];
                TrainConfig cfg = config(tr, (ModelSpec.Network) r[3], (Precision) r[4], (PoolPolicy) r[5], epochs);
                for (Row row : compare((String) r[0], cfg, tr, te, g, cpu)) {
                    rows.add(row);
                    print(out, row);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long failed = rows.stream().filter(r -> !r.passed()).count();
        out.println(rows.size() + " epochs compared, " + failed + " out of tolerance");
        return failed == 0 ? SelfTest.PASSED : SelfTest.FAILED;
    }

    public static void print(PrintStream out, Row r) {
        if (r.cpu() == null || r.gpu() == null) {
            out.println(String.format(Locale.ROOT, "%-34s %5s %s", r.run(), "-", "FAIL (epochs missing)"));
            return;
        }
        out.println(String.format(Locale.ROOT, "%-34s %5d %12.6g %12.6g %8.4f %8.4f %12.6g %12.6g %8.4f %8.4f %s",
                r.run(), r.cpu().epoch(), r.cpu().trainLoss(), r.gpu().trainLoss(), r.cpu().trainAccuracy(),
                r.gpu().trainAccuracy(), r.cpu().testLoss(), r.gpu().testLoss(), r.cpu().testAccuracy(),
                r.gpu().testAccuracy(), r.passed() ? "PASS" : "FAIL"));
    }
}
