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
}
