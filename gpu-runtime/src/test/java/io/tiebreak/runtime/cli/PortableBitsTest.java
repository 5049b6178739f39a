package io.tiebreak.runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The portable mode's promise, checked the only way one machine can: `train` runs in fresh JVMs whose OpenBLAS is
 * forced to other CPUs' kernels (OPENBLAS_CORETYPE, read when the library loads), with and without the Vector API
 * (the portable kernels' two implementations), and must end on the same weights digest. Host mode uses those
 * kernels for its products, so its digests may differ: the test prints whether they do.
 */
@Tag("slow")
class PortableBitsTest {
    private static final List<String> CORE_TYPES = List.of("Haswell", "SkylakeX");
    private static final Pattern KERNELS = Pattern.compile("OpenBLAS [0-9.]+, (\\w+) kernels");

    private record Trained(String weightsDigest, String blasKernels, String output) {}

    private static Trained train(String coreType, String precision, String mode) throws IOException, InterruptedException {
        return train(coreType, precision, mode, false);
    }

    /** vectorApi: the JVM gets --add-modules jdk.incubator.vector (the portable kernels' Vector API side). */
    private static Trained train(String coreType, String precision, String mode, boolean vectorApi)
            throws IOException, InterruptedException {
        TrainProcess.Trained t = TrainProcess.train(Map.of("OPENBLAS_CORETYPE", coreType),
                vectorApi ? List.of("--add-modules", "jdk.incubator.vector") : List.of(), "--threads", "1",
                "--precision", precision, "--reproducibility", mode);
        Matcher k = KERNELS.matcher(t.output());
        return new Trained(t.weightsDigest(), k.find() ? k.group(1) : "", t.output());
    }

    @ParameterizedTest
    @ValueSource(strings = {"fp32", "fp16"})
    void portableRunsEndOnTheSameBitsWhateverKernelsOpenBlasPicks(String precision) throws Exception {
        assumeTrue(Files.isDirectory(TrainProcess.FASHION_MNIST), "needs Debian's dataset-fashion-mnist");
        List<Trained> portable = new ArrayList<>(), host = new ArrayList<>();
        for (String core : CORE_TYPES) {
            portable.add(train(core, precision, "portable"));
            Trained h = train(core, precision, "host");
            assertEquals(core, h.blasKernels(), "OPENBLAS_CORETYPE=" + core + " took effect:\n" + h.output());
            host.add(h);
        }
        portable.add(train(CORE_TYPES.get(0), precision, "portable", true));
        for (int i = 1; i < portable.size(); i++) {
            String other = i < CORE_TYPES.size() ? CORE_TYPES.get(i) : CORE_TYPES.get(0) + " with the Vector API";
            assertEquals(portable.get(0).weightsDigest(), portable.get(i).weightsDigest(),
                    precision + " portable: " + CORE_TYPES.get(0) + " vs " + other);
        }
        System.out.printf("%s host mode: %s%n", precision, host.stream().map(Trained::weightsDigest).distinct().count() == 1
                ? "the same digest under " + CORE_TYPES : "different digests under " + CORE_TYPES + ": "
                        + host.stream().map(t -> t.weightsDigest().substring(0, 16)).toList());
    }
}
