package io.tiebreak.runtime.backend.cuda;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The kernels of src/main/cuda compiled for the host by g++ (with src/test/cuda-emulator), loaded through JNA. Built
 * once per source version into target/cuda-emulator; {@link #available()} is false when no g++ is installed, and the
 * tests that need it are skipped.
 */
final class HostEmulator {
    interface Api extends Library {
        int tb_emu_launch(String name, int gx, int gy, int gz, int bx, int by, int bz, Pointer args, byte[] err, int errLength);

        int tb_emu_kernel_count();

        String tb_emu_kernel_name(int i);
    }

    private static final Path MODULE = Path.of(System.getProperty("basedir", "."));
    private static final Path KERNELS = MODULE.resolve("src/main/cuda");
    private static final Path EMULATOR = MODULE.resolve("src/test/cuda-emulator");
    private static Api api;
    private static String failure;

    private HostEmulator() {}

    static synchronized boolean available() {
        if (api == null && failure == null) {
            try {
                api = Native.load(build().toString(), Api.class);
            } catch (RuntimeException | IOException | InterruptedException | UnsatisfiedLinkError e) {
                failure = e.toString();
            }
        }
        return api != null;
    }

    static String failure() { return failure; }

    static Api api() {
        if (!available()) throw new IllegalStateException("host emulator unavailable: " + failure);
        return api;
    }

    /** Names of every kernel the sources define. */
    static List<String> kernels() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < api().tb_emu_kernel_count(); i++) names.add(api().tb_emu_kernel_name(i));
        return names;
    }

    private static Path build() throws IOException, InterruptedException {
        Path lib = MODULE.resolve("target/cuda-emulator/libtiebreak-emulator-" + sourceHash() + ".so");
        if (Files.exists(lib)) return lib;
        Files.createDirectories(lib.getParent());
        Path tmp = lib.resolveSibling(lib.getFileName() + ".tmp");
        // The flags that keep binary32/64 arithmetic IEEE and unfused, as nvcc --fmad=false does on the device.
        List<String> cmd = List.of("g++", "-std=c++17", "-O2", "-fPIC", "-shared", "-ffp-contract=off",
                "-fno-fast-math", "-Wall", "-Wno-unknown-pragmas", "-I" + KERNELS, "-I" + EMULATOR, "-include",
                "cuda_host_shim.h", "-x", "c++", KERNELS.resolve("tiebreak.cu").toString(), "-x", "c++",
                EMULATOR.resolve("emulator.cpp").toString(), "-o", tmp.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("g++ failed to build the host emulator:\n" + output);
        }
        Files.move(tmp, lib, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return lib;
    }

    private static String sourceHash() throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Path dir : new Path[] {KERNELS, EMULATOR}) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                        md.update(f.getFileName().toString().getBytes());
                        md.update(Files.readAllBytes(f));
                    }
                }
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
