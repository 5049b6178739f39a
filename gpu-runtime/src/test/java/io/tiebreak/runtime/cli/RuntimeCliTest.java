package io.tiebreak.runtime.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.io.Safetensors;
import io.tiebreak.runtime.io.TensorFiles;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.Model;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.models.Models;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.random.Rng;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The runtime command line: gradients through files, and a clear message with exit code 2 for bad input. */
class RuntimeCliTest {
    @TempDir Path dir;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new RuntimeCli());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = CliErrors.execute(cl, args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Writes the initial weights of a model and a batch with ties; returns the model for comparison. */
    private Model writeInputs(Precision p, String policy) throws Exception {
        CpuBackend cpu = new CpuBackend(1);
        Model model = Models.build(new ModelSpec(ModelSpec.Network.LENET5, true, 1, 28, 28, 10), new Context(cpu, p),
                PoolPolicy.parse(policy), 0, 3);
        Safetensors.Writer w = new Safetensors.Writer();
        TensorFiles.addParameters(w, cpu, model.parameters());
        Files.write(dir.resolve("w.safetensors"), w.toBytes());
        Rng rng = Rng.of(1, "batch");
        double[] x = new double[4 * 28 * 28];
        for (int i = 0; i < x.length; i++) x[i] = rng.nextInt(4) / 4.0; // few distinct values: ties in pooling
        Files.write(dir.resolve("b.safetensors"), new Safetensors.Writer()
                .add("input", Safetensors.Dtype.F32, new int[] {4, 1, 28, 28}, x)
                .add("labels", Safetensors.Dtype.I64, new int[] {4}, new double[] {0, 3, 9, 3}).toBytes());
        model.lossAndGradients(cpu.upload(p, new int[] {4, 1, 28, 28}, x), new int[] {0, 3, 9, 3}, 1);
        return model;
    }

    @Test
    void gradWritesTheSameGradientsAsTheRuntime() throws Exception {
        Model model = writeInputs(Precision.FP64, "min-norm");
        Run r = run("grad", "--model", "lenet5", "--bn", "--precision", "fp64", "--policy", "min-norm", "--threads", "1",
                "--weights", dir.resolve("w.safetensors").toString(), "--batch", dir.resolve("b.safetensors").toString(),
                "--out", dir.resolve("g.safetensors").toString());
        assertEquals(0, r.code, r.err);
        var g = Safetensors.read(Files.readAllBytes(dir.resolve("g.safetensors")), "g");
        for (Parameter p : model.trainable()) {
            assertArrayEquals(model.backend().download(p.grad()), g.require(p.name() + ".grad").toDoubles(), p.name());
        }
        assertEquals("pool1,pool2", g.metadata().get("pools"));
        assertTrue(g.require("ties").toLongs()[0] > 0, "the batch has tied windows");
    }

    @Test
    void microBatchesThatDevicesCannotShareAreAUserError() {
        Run r = run("bench", "--batch", "128", "--micro-batch", "32", "--replicas", "3", "--warmup", "0");
        assertEquals(CliErrors.USER_ERROR, r.code);
        assertTrue(r.err.contains("makes 4 micro-batches, which 3 devices cannot share equally"), r.err);
        Run big = run("bench", "--batch", "128", "--micro-batch", "256");
        assertEquals(CliErrors.USER_ERROR, big.code);
        assertTrue(big.err.contains("micro-batch must be between 1 and the batch size 128"), big.err);
        Run list = run("bench", "--device", "cpu:2,cpu:2", "--replicas", "2");
        assertEquals(CliErrors.USER_ERROR, list.code);
        assertTrue(list.err.contains("device lists name GPUs only"), list.err);
    }

    @Test
    void unknownPolicyIsAUserError() {
        Run r = run("bench", "--policy", "median");
        assertEquals(CliErrors.USER_ERROR, r.code);
        assertTrue(r.err.contains("unknown pool policy 'median'"), r.err);
        assertFalse(r.err.contains("at io.tiebreak"), "no stack trace: " + r.err);
    }

    @Test
    void truncatedWeightsFileNamesTheFileAndTheTensor() throws Exception {
        writeInputs(Precision.FP32, "first");
        byte[] w = Files.readAllBytes(dir.resolve("w.safetensors"));
        Files.write(dir.resolve("w.safetensors"), Arrays.copyOf(w, w.length - 100));
        Run r = run("grad", "--model", "lenet5", "--bn", "--weights", dir.resolve("w.safetensors").toString(),
                "--batch", dir.resolve("b.safetensors").toString(), "--out", dir.resolve("g.safetensors").toString());
        assertEquals(CliErrors.USER_ERROR, r.code);
        assertTrue(r.err.contains("w.safetensors") && r.err.contains("truncated"), r.err);
    }

    @Test
    void weightsOfAnotherModelAreRefusedWithTheMismatch() throws Exception {
        writeInputs(Precision.FP32, "first");
        Run r = run("grad", "--model", "lenet5", "--weights", dir.resolve("w.safetensors").toString(), "--classes", "7",
                "--batch", dir.resolve("b.safetensors").toString(), "--out", dir.resolve("g.safetensors").toString());
        assertEquals(CliErrors.USER_ERROR, r.code);
        assertTrue(r.err.contains("'fc3.weight' has shape [10,84], expected [7,84]"), r.err);
    }

    @Test
    void nanInputIsRefused() throws Exception {
        writeInputs(Precision.FP32, "first");
        Files.write(dir.resolve("b.safetensors"), new Safetensors.Writer()
                .add("input", Safetensors.Dtype.F32, new int[] {1, 1, 28, 28}, nanAt(5, 28 * 28))
                .add("labels", Safetensors.Dtype.I64, new int[] {1}, new double[] {2}).toBytes());
        Run r = run("grad", "--model", "lenet5", "--bn", "--weights", dir.resolve("w.safetensors").toString(),
                "--batch", dir.resolve("b.safetensors").toString(), "--out", dir.resolve("g.safetensors").toString());
        assertEquals(CliErrors.USER_ERROR, r.code);
        assertTrue(r.err.contains("'input' holds NaN at flat index 5"), r.err);
    }

    private static double[] nanAt(int i, int n) {
        double[] v = new double[n];
        v[i] = Double.NaN;
        return v;
    }

    @Test
    void aGpuRunWithoutAGpuSaysWhyAndExitsThree() {
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(Path.of("/dev/nvidia0")), "a GPU is present");
        Run r = run("bench", "--device", "cuda:0", "--model", "lenet5");
        assertEquals(CliErrors.NO_GPU, r.code);
        assertTrue(r.err.startsWith("error: ") && r.err.contains("libcuda.so.1"), r.err);
        assertFalse(r.err.contains("\tat "), "no stack trace: " + r.err);
    }

    @Test
    void missingDataDirectorySaysWhatIsExpected() {
        Run r = run("train", "--data", dir.resolve("nowhere").toString(), "--epochs", "1");
        assertEquals(CliErrors.USER_ERROR, r.code);
        assertTrue(r.err.contains("train-images-idx3-ubyte") && r.err.contains("dataset-fashion-mnist"), r.err);
    }

    /**
     * Every flag of every command that picocli cannot take (out of range, wrong type, unknown, a bad name) is one
     * line naming the flag and pointing at the command's --help: never the whole usage.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "train --batch 0                 | --batch     | must be at least 1, got '0'",
        "train --test-batch -3           | --test-batch| must be at least 1",
        "train --epochs 0                | --epochs    | must be at least 1",
        "train --lr -0.1                 | --lr        | must be a positive number",
        "train --lr NaN                  | --lr        | must be finite",
        "train --train-limit 0           | --train-limit| must be at least 1",
        "train --optimizer rmsprop       | --optimizer | unknown optimizer 'rmsprop'",
        "train --schedule linear         | --schedule  | unknown schedule 'linear'",
        "train --model vgg12             | --model     | unknown network 'vgg12'",
        "train --batch many              | --batch     | 'many' is not a whole number",
        "train --bach 64                 | --bach      | Unknown option",
        "bench --batch 0                 | --batch     | must be at least 1",
        "bench --windows 0               | --windows   | must be at least 1",
        "bench --steps 2.5               | --steps     | '2.5' is not a whole number",
        "bench --warmup -1               | --warmup    | must be at least 0",
        "bench --precision fp8           | --precision | unknown precision 'fp8'",
        "bench --policy median           | --policy    | unknown pool policy 'median'",
        "bench --form fused              | --form      | unknown pool form 'fused'",
        "bench --threads 0               | --threads   | must be at least 1",
        "bench --relu-alpha Infinity     | --relu-alpha| must be finite",
        "grad --classes 0                | --classes   | must be at least 1",
        "grad --weights w                | --batch     | Missing required options",
        "selftest --seed one             | --seed      | 'one' is not a long",
    })
    void aBadFlagIsOneLineNamingItAndPointingAtHelp(String args, String flag, String what) {
        String[] argv = args.trim().split("\\s+");
        Run r = run(argv);
        assertEquals(CliErrors.USER_ERROR, r.code, r.err);
        assertEquals(1, r.err.lines().count(), "one line: " + r.err);
        assertTrue(r.err.startsWith("error: ") && r.err.contains(flag.trim()) && r.err.contains(what.trim()), r.err);
        assertTrue(r.err.trim().endsWith("see 'gpu-runtime " + argv[0] + " --help'"), r.err);
        assertFalse(r.err.contains("Usage"), r.err);
    }

    @Test
    void aBenchmarkNeedsTwoSamplesAndSaysWhichFlag() {
        Run r = run("bench", "--batch", "1");
        assertEquals(CliErrors.USER_ERROR, r.code);
        assertEquals("error: --batch must be at least 2 for a benchmark, got 1\n", r.err);
    }

    @Test
    void gradNamesTheBatchFileOfABadLabel() throws Exception {
        writeInputs(Precision.FP32, "first");
        Files.write(dir.resolve("b.safetensors"), new Safetensors.Writer()
                .add("input", Safetensors.Dtype.F32, new int[] {2, 1, 28, 28}, new double[2 * 28 * 28])
                .add("labels", Safetensors.Dtype.I64, new int[] {2}, new double[] {1, 12}).toBytes());
        Run r = run("grad", "--model", "lenet5", "--bn", "--weights", dir.resolve("w.safetensors").toString(),
                "--batch", dir.resolve("b.safetensors").toString(), "--out", dir.resolve("g.safetensors").toString());
        assertEquals(CliErrors.USER_ERROR, r.code);
        assertEquals("error: " + dir.resolve("b.safetensors") + ": 'labels' holds 12 at index 1, outside [0, 10)"
                + " (--classes 10)\n", r.err);
        Files.write(dir.resolve("b.safetensors"), new Safetensors.Writer()
                .add("input", Safetensors.Dtype.F32, new int[] {2, 1, 28, 28}, new double[2 * 28 * 28])
                .add("labels", Safetensors.Dtype.F32, new int[] {2}, new double[] {1, 2}).toBytes());
        Run f = run("grad", "--model", "lenet5", "--bn", "--weights", dir.resolve("w.safetensors").toString(),
                "--batch", dir.resolve("b.safetensors").toString(), "--out", dir.resolve("g.safetensors").toString());
        assertTrue(f.err.contains("b.safetensors: 'labels' is F32, expected an integer dtype"), f.err);
    }

    /** An MNIST-style IDX folder: n train and m test images of side x side, with labels. */
    private Path idxFolder(String name, int n, int side, int m, int testSide) throws Exception {
        Path d = dir.resolve(name);
        Files.createDirectories(d);
        for (String split : new String[] {"train", "t10k"}) {
            int count = split.equals("train") ? n : m, s = split.equals("train") ? side : testSide;
            java.nio.ByteBuffer img = java.nio.ByteBuffer.allocate(16 + count * s * s).putInt(0x00000803)
                    .putInt(count).putInt(s).putInt(s);
            for (int i = 0; i < count * s * s; i++) img.put((byte) (i * 13));
            java.nio.ByteBuffer lab = java.nio.ByteBuffer.allocate(8 + count).putInt(0x00000801).putInt(count);
            for (int i = 0; i < count; i++) lab.put((byte) (i % 10));
            Files.write(d.resolve(split + "-images-idx3-ubyte"), img.array());
            Files.write(d.resolve(split + "-labels-idx1-ubyte"), lab.array());
        }
        return d;
    }

    @Test
    void splitsOfDifferentSizesNameBothImagesFiles() throws Exception {
        Path d = idxFolder("sizes", 20, 28, 10, 32);
        Run r = run("train", "--data", d.toString(), "--epochs", "1");
        assertEquals(CliErrors.USER_ERROR, r.code);
        assertEquals("error: " + d.resolve("t10k-images-idx3-ubyte") + " holds 32x32 images, "
                + d.resolve("train-images-idx3-ubyte") + " 28x28: the two splits of a dataset must have one image size\n", r.err);
    }

    @Test
    void aDamagedCheckpointFailsNamingItsPathWithExitTwo() throws Exception {
        Path d = idxFolder("data", 64, 28, 32, 28);
        String[] args = {"train", "--data", d.toString(), "--epochs", "1", "--batch", "32", "--threads", "1",
                "--checkpoints", dir.resolve("ck").toString()};
        Run first = run(args);
        assertEquals(0, first.code, first.err);
        Path ck = dir.resolve("ck").resolve("latest.safetensors");
        byte[] b = Files.readAllBytes(ck);
        b[b.length - 2] ^= 0x01;
        Files.write(ck, b);
        Run again = run(args);
        assertEquals(CliErrors.USER_ERROR, again.code, again.err);
        assertTrue(again.err.startsWith("error: " + ck + ": corrupt checkpoint: its contents sum to CRC-32C"), again.err);
        assertEquals(1, again.err.lines().count(), again.err);
    }
}
