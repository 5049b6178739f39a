package io.tiebreak.runtime.cli;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.io.Safetensors;
import io.tiebreak.runtime.io.TensorFiles;
import io.tiebreak.runtime.models.Model;
import io.tiebreak.runtime.models.Models;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.nn.MaxPool2d;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The AD output for given weights and batch: loads both from safetensors, runs one training-mode forward/backward
 * under the chosen policy, form and precision, and writes every gradient ("<param>.grad"), the loss and the
 * per-pool tie counts to a safetensors file that PyTorch or NumPy can open.
 */
@Command(name = "grad", mixinStandardHelpOptions = true,
        description = "Write the gradients of the mean cross-entropy for given weights and batch (safetensors in and out).")
final class GradCommand implements Callable<Integer> {
    @Mixin RunOptions run;

    @Option(names = "--weights", required = true, description = "safetensors with the model's parameters (PyTorch names; "
            + "any float dtype, rounded once to the precision; batch-norm running statistics optional)")
    Path weights;

    @Option(names = "--batch", required = true, description = "safetensors with 'input' [N,C,H,W] and 'labels' [N]")
    Path batch;

    @Option(names = "--classes", defaultValue = "10", converter = Flags.Positive.class) int classes;

    @Option(names = "--out", required = true, description = "where to write the gradients") Path out;

    @Override
    public Integer call() throws Exception {
        Safetensors.Contents w = Safetensors.read(Files.readAllBytes(weights), weights.toString());
        Safetensors.Contents b = Safetensors.read(Files.readAllBytes(batch), batch.toString());
        Safetensors.Entry input = b.require("input"), labelsEntry = b.require("labels");
        int[] s = input.shape();
        if (s.length != 4) throw new IllegalArgumentException(batch + ": 'input' must be [N,C,H,W], got " + s.length + " dims");
        if (labelsEntry.shape().length != 1 || labelsEntry.shape()[0] != s[0]) {
            throw new IllegalArgumentException(batch + ": 'labels' must be [" + s[0] + "] to match 'input'");
        }
        double[] x = input.toDoubles();
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i])) throw new IllegalArgumentException(batch + ": 'input' holds " + x[i] + " at flat index " + i);
        }
        Precision p = run.precision();
        try (Backend backend = run.openBackend()) {
            Model model = Models.build(run.spec(s[1], s[2], s[3], classes), new Context(backend, p), run.policy(), run.reluAlpha, run.seed);
            for (Parameter param : model.parameters()) {
                if (param.isTrainable() || w.tensors().containsKey(param.name())) {
                    TensorFiles.load(w, backend, param.name(), param.value(), false);
                }
            }
            int[] labels = labels(labelsEntry); // after the weights: a file of another model is the first thing to say
            Tensor xt = backend.upload(p, s, x);
            Backend.LossResult r = model.lossAndGradients(xt, labels, 1);
            Safetensors.Writer out = new Safetensors.Writer();
            for (Parameter param : model.trainable()) TensorFiles.add(out, backend, param.name() + ".grad", param.grad());
            out.add("loss", Safetensors.Dtype.F64, new int[] {1}, new double[] {r.loss()});
            List<MaxPool2d> pools = model.pools();
            out.add("ties", Safetensors.Dtype.I64, new int[] {pools.size()},
                    pools.stream().mapToDouble(MaxPool2d::lastTies).toArray());
            out.metadata("pools", pools.stream().map(MaxPool2d::name).collect(Collectors.joining(",")))
                    .metadata("precision", p.id())
                    .metadata("policy", run.policy().toString());
            Files.write(this.out, out.toBytes());
            System.out.printf("loss %.17g, %d gradients, ties %s -> %s%n", r.loss(), model.trainable().size(),
                    pools.stream().map(m -> m.name() + "=" + m.lastTies()).collect(Collectors.joining(" ")), this.out);
        }
        return 0;
    }

    /** The batch's labels: integers in [0, --classes), or an error naming the batch file and the first bad one. */
    private int[] labels(Safetensors.Entry e) {
        if (e.dtype() == Safetensors.Dtype.F16 || e.dtype() == Safetensors.Dtype.F32 || e.dtype() == Safetensors.Dtype.F64) {
            throw new IllegalArgumentException(batch + ": 'labels' is " + e.dtype() + ", expected an integer dtype (I64, I32, U8)");
        }
        long[] v = e.toLongs();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0 || v[i] >= classes) {
                throw new IllegalArgumentException(batch + ": 'labels' holds " + v[i] + " at index " + i + ", outside [0, "
                        + classes + ") (--classes " + classes + ")");
            }
            out[i] = (int) v[i];
        }
        return out;
    }
}
