package io.tiebreak.runtime.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * Checkpoints in a local directory: latest.safetensors and latest.timing.json, each replaced atomically (write a temp
 * file, then rename).
 */
public final class DirectoryCheckpoints implements CheckpointStore {
    private final Path dir;

    public DirectoryCheckpoints(Path dir) {
        this.dir = dir;
    }

    private Path state() { return dir.resolve("latest.safetensors"); }

    private Path timing() { return dir.resolve("latest.timing.json"); }

    @Override
    public Optional<Saved> latest() throws IOException {
        if (!Files.exists(state())) return Optional.empty();
        Optional<byte[]> timing = Files.exists(timing()) ? Optional.of(Files.readAllBytes(timing())) : Optional.empty();
        return Optional.of(new Saved(Files.readAllBytes(state()), timing));
    }

    @Override
    public void save(int epoch, byte[] state, byte[] timing) throws IOException {
        Files.createDirectories(dir);
        replace(timing(), timing, epoch);
        replace(state(), state, epoch);
    }

    private void replace(Path target, byte[] bytes, int epoch) throws IOException {
        Path tmp = Files.createTempFile(dir, "epoch-" + epoch + "-", ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
