package io.tiebreak.runtime.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.precision.Half;
import io.tiebreak.runtime.precision.Precision;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Updates follow torch.optim's formulas, op by op; schedules follow PyTorch's per-epoch schedulers. */
class OptimizerTest {
    private final CpuBackend cpu = new CpuBackend(1);

    @AfterEach
    void close() { cpu.close(); }

    private Parameter param(Precision p, double... values) {
        Parameter w = Parameter.trainable(new Context(cpu, p), "w", values.length);
        cpu.write(w.value(), values);
        return w;
    }

    @Test
    void sgdWithMomentumWeightDecayAndNesterov() {
        for (boolean nesterov : new boolean[] {false, true}) {
            Parameter w = param(Precision.FP64, 1.0, -2.0);
            Optimizer opt = new Optimizer(OptimizerSpec.sgd(0.9, 0.01, nesterov), cpu, List.of(w));
            double[] p = {1.0, -2.0}, buf = new double[2];
            double[][] grads = {{0.5, -0.25}, {0.125, 1.0}, {-1.0, 0.0}};
            for (int step = 0; step < grads.length; step++) {
                cpu.write(w.grad(), grads[step]);
                opt.step(0.1);
                for (int i = 0; i < 2; i++) {
                    double d = grads[step][i] + 0.01 * p[i];
                    buf[i] = step == 0 ? d : 0.9 * buf[i] + d;
                    d = nesterov ? d + 0.9 * buf[i] : buf[i];
                    p[i] = p[i] - 0.1 * d;
                }
                assertArrayEquals(p, cpu.download(w.value()), 0, "nesterov=" + nesterov + " step " + step);
            }
        }
    }

    @Test
    void adamWithBiasCorrection() {
        Parameter w = param(Precision.FP64, 0.5);
        Optimizer opt = new Optimizer(OptimizerSpec.adam(0), cpu, List.of(w));
        double p = 0.5, m = 0, v = 0;
        double[] grads = {0.2, -0.1, 0.4};
        for (int t = 1; t <= grads.length; t++) {
            cpu.write(w.grad(), new double[] {grads[t - 1]});
            opt.step(1e-2);
            double g = grads[t - 1];
            m = m + (1 - 0.9) * (g - m);
            v = 0.999 * v + (1 - 0.999) * g * g;
            double denom = Math.sqrt(v) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8;
            p = p - 1e-2 / (1 - Math.pow(0.9, t)) * (m / denom);
            assertEquals(p, cpu.download(w.value())[0], 1e-15, "step " + t);
        }
    }

    @Test
    void fp16RoundsEveryPyTorchOpAndKeepsScalarsInBinary32() {
        Parameter w = param(Precision.FP16, 1.0);
        Optimizer opt = new Optimizer(OptimizerSpec.sgd(0.9, 5e-4, false), cpu, List.of(w));
        cpu.write(w.grad(), new double[] {0.1});
        opt.step(0.01);
        float g = Half.round(0.1f);
        float d = Half.round(g + 5e-4f * 1.0f);
        float expected = Half.round(1.0f - 0.01f * d);
        assertEquals(expected, (float) cpu.download(w.value())[0]);
        assertEquals(d, (float) cpu.download(opt.state().get("optimizer.w.momentum_buffer"))[0], "first step: buf = d");
    }

    @Test
    void lossScalerSkipsOverflowingStepsAndGrowsAfterCleanOnes() {
        Parameter w = param(Precision.MIXED, 1.0);
        LossScaler s = LossScaler.initial();
        cpu.write(w.grad(), new double[] {Double.POSITIVE_INFINITY});
        assertEquals(false, s.unscale(cpu, List.of(w)));
        assertEquals(32768, s.scale());
        for (int i = 0; i < LossScaler.GROWTH_INTERVAL; i++) {
            cpu.write(w.grad(), new double[] {32768});
            assertEquals(true, s.unscale(cpu, List.of(w)));
        }
        assertEquals(1.0, cpu.download(w.grad())[0], "gradients are divided by the scale");
        assertEquals(65536, s.scale(), "doubled after 2000 clean steps");
    }

    @Test
    void schedulesPerEpoch() {
        Schedule cosine = Schedule.cosine();
        assertEquals(0.1, cosine.lr(0.1, 0, 10), 1e-15);
        assertEquals(0.05, cosine.lr(0.1, 5, 10), 1e-15);
        assertEquals(0.1 * (1 + Math.cos(Math.PI * 9 / 10)) / 2, cosine.lr(0.1, 9, 10), 1e-15);
        Schedule step = Schedule.step(3, 0.1);
        assertEquals(0.1, step.lr(0.1, 2, 10), 1e-15);
        assertEquals(0.01, step.lr(0.1, 3, 10), 1e-15);
        assertEquals(0.001, step.lr(0.1, 7, 10), 1e-15);
    }
}
