package io.tiebreak.runtime.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `java -jar gpu-runtime.jar <command>`: the runtime on its own, no Spark. */
@Command(name = "gpu-runtime", mixinStandardHelpOptions = true, version = "tiebreak gpu-runtime 0.1.0",
        description = "tiebreak's training runtime without Spark: train, inspect gradients, benchmark, self-test the GPU.",
        subcommands = {TrainCommand.class, GradCommand.class, BenchCommand.class, SelfTestCommand.class})
public final class RuntimeCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(CliErrors.execute(new CommandLine(new RuntimeCli()), args));
    }
}
