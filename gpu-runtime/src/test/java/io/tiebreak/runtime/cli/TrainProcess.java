package io.tiebreak.runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** `train` in a fresh JVM on the real Fashion-MNIST: what it printed, and the final weights' digest. */
final class TrainProcess {
    private TrainProcess() {}

    static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
    private static final Pattern WEIGHTS = Pattern.compile("weights sha256 ([0-9a-f]{64})");

    record Trained(String weightsDigest, String output) {}

    /** Runs `train --model lenet5 --epochs 1 --train-limit 2048 --test-limit 512` with more arguments and env. */
    static Trained train(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return train(env, List.of(), args);
    }

    /** The same, with options for the JVM (--add-modules jdk.incubator.vector, say). */
    static Trained train(Map<String, String> env, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), RuntimeCli.class.getName(), "train", "--model", "lenet5", "--epochs", "1", "--train-limit", "2048",
                "--test-limit", "512"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        Matcher w = WEIGHTS.matcher(out);
        assertTrue(w.find(), "no weights digest in\n" + out);
        return new Trained(w.group(1), out);
    }
}
