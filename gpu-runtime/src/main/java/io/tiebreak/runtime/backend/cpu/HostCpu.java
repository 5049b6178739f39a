package io.tiebreak.runtime.backend.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The CPU this JVM runs on, as result rows record it: why two host-mode runs may differ in their last bits. */
public final class HostCpu {
    private HostCpu() {}

    private static final String MODEL = readModel();

    /** e.g. "Intel(R) Xeon(R) Platinum 8480+ (x86_64, 2 cores)"; the OS's architecture where /proc says nothing. */
    public static String model() { return MODEL; }

    private static String readModel() {
        String arch = System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cores";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim() + " (" + arch + ")";
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc unreadable: the architecture is all we can say
        }
        return arch;
    }
}
