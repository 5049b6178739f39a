package io.tiebreak.runtime.cli;

import io.tiebreak.runtime.check.SelfTest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Every GPU kernel against the CPU backend, as a table; exit 0 pass, 1 fail, 2 bad arguments, 3 no usable GPU. */
@Command(name = "selftest", mixinStandardHelpOptions = true,
        description = "Check every CUDA kernel against the CPU backend (bitwise or within a stated bound).")
final class SelfTestCommand implements Callable<Integer> {
    @Option(names = "--device", defaultValue = "cuda:0", description = "the GPU to test (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the random inputs (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() {
        return SelfTest.run(device, seed, System.out, System.err);
    }
}
