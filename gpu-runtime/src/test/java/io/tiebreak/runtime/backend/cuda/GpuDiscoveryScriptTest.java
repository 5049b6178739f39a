package io.tiebreak.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tiebreak.runtime.backend.Backends;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** deploy/gpu/getGpusResources.sh, with a stand-in nvidia-smi: the JSON Spark expects, and clear failures. */
class GpuDiscoveryScriptTest {
    private static final Path SCRIPT = Path.of(System.getProperty("basedir", "."), "..", "deploy", "gpu", "getGpusResources.sh");

    private record Result(int exit, String out, String err) {}

    private static Result discover(Path fakeSmi) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString());
        pb.environment().put("NVIDIA_SMI", fakeSmi.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out, err);
    }

    private static Path fakeSmi(Path dir, String body) throws Exception {
        Path smi = dir.resolve("nvidia-smi");
        Files.writeString(smi, "#!/usr/bin/env bash\n" + body + "\n");
        smi.toFile().setExecutable(true);
        return smi;
    }

    @Test
    void listsNvidiaSmiIndicesAsSparkResourceJson(@TempDir Path dir) throws Exception {
        // nvidia-smi --query-gpu=index --format=csv,noheader prints one index per line
        Result r = discover(fakeSmi(dir, "[ \"$1\" = --query-gpu=index ] && printf '0\\n1\\n3\\n'"));
        assertEquals(0, r.exit(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals("gpu", json.get("name").asText());
        List<String> addresses = new ArrayList<>();
        json.get("addresses").forEach(a -> addresses.add(a.asText()));
        assertEquals(List.of("0", "1", "3"), addresses);
        assertEquals("cuda:3", Backends.forSparkGpu(addresses.get(2)), "what a task opens for the GPU Spark gave it");
    }

    @Test
    void aNodeWithoutGpusReportsNoAddresses(@TempDir Path dir) throws Exception {
        Result r = discover(fakeSmi(dir, "exit 0"));
        assertEquals(0, r.exit(), r.err());
        assertEquals(0, new ObjectMapper().readTree(r.out()).get("addresses").size());
    }

    @Test
    void aMissingOrFailingNvidiaSmiIsAnError(@TempDir Path dir) throws Exception {
        Result missing = discover(dir.resolve("no-such-nvidia-smi"));
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("no NVIDIA driver"), missing.err());
        Result failing = discover(fakeSmi(dir, "echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver'; exit 9"));
        assertEquals(1, failing.exit());
        assertTrue(failing.err().contains("could not communicate"), failing.err());
    }
}
