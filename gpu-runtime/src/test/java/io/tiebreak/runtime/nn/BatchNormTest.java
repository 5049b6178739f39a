package io.tiebreak.runtime.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.precision.Precision;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Running statistics as PyTorch keeps them (momentum 0.1, unbiased variance), and eval mode uses them. */
class BatchNormTest {

    @Test
    void runningStatisticsAndEvalMode() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            Context ctx = new Context(cpu, Precision.FP64);
            BatchNorm bn = new BatchNorm(ctx, "bn", 1);
            double[] x = {1, 2, 3, 6};
            bn.forward(cpu.upload(Precision.FP64, new int[] {4, 1}, x), true);
            List<Parameter> ps = new ArrayList<>();
            bn.collectParameters(ps);
            double mean = 3, unbiased = (4 + 1 + 0 + 9) / 3.0;
            assertEquals(0.1 * mean, cpu.download(ps.get(2).value())[0], 1e-15, "running_mean");
            assertEquals(0.9 + 0.1 * unbiased, cpu.download(ps.get(3).value())[0], 1e-15, "running_var");
            double rm = 0.1 * mean, rv = 0.9 + 0.1 * unbiased;
            double[] y = cpu.download(bn.forward(cpu.upload(Precision.FP64, new int[] {4, 1}, x), false));
            double[] want = new double[4];
            for (int i = 0; i < 4; i++) want[i] = (x[i] - rm) / Math.sqrt(rv + 1e-5);
            assertArrayEquals(want, y, 1e-12);
        }
    }
}
