package io.tiebreak.runtime.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/** Checkpoints in a local directory: latest.safetensors, replaced atomically (write a temp file, then rename). */
public final class DirectoryCheckpoints implements CheckpointStore {
    private final Path dir;

    public DirectoryCheckpoints(Path dir) {
        this.dir = dir;
    }

    private Path latestPath() { return dir.resolve("latest.safetensors"); }

    @Override
    public Optional<Stored> latest() throws IOException {
        Path p = latestPath();
        return Files.exists(p) ? Optional.of(new Stored(p.toString(), Files.readAllBytes(p))) : Optional.empty();
    }

    @Override
    public void save(int epoch, byte[] safetensors) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "epoch-" + epoch + "-", ".tmp");
        try {
            Files.write(tmp, safetensors);
            Files.move(tmp, latestPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
