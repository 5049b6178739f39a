package io.tiebreak.runtime.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The compiled kernels packaged in the jar: {@code tiebreak-kernels.fatbin}, written by nvcc at build time (see
 * gpu-runtime/pom.xml), and {@code tiebreak-kernels.properties} describing how it was built.
 */
final class KernelImage {
    static final String FATBIN = "tiebreak-kernels.fatbin";
    static final String INFO = "tiebreak-kernels.properties";

    private KernelImage() {}

    /** The fatbin, or a CudaUnavailableException saying that this build has no kernels and how to get them. */
    static byte[] load() {
        return load(KernelImage.class, FATBIN);
    }

    static byte[] load(Class<?> anchor, String resource) {
        try (InputStream in = anchor.getResourceAsStream(resource)) {
            if (in == null) {
                throw new CudaUnavailableException("this gpu-runtime build has no CUDA kernels: the jar was built "
                        + "without nvcc on the PATH, so " + resource + " is missing; rebuild gpu-runtime on a machine "
                        + "with the CUDA 13 toolkit (nvcc) to run on a GPU");
            }
            byte[] image = in.readAllBytes();
            if (image.length == 0) throw new CudaUnavailableException("the packaged CUDA kernels (" + resource + ") are empty");
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the packaged CUDA kernels " + resource, e);
        }
    }

    /** How the fatbin was built (nvcc release, flags, kernel variant); empty when the jar has no kernels. */
    static Properties info() {
        Properties p = new Properties();
        try (InputStream in = KernelImage.class.getResourceAsStream(INFO)) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + INFO, e);
        }
        return p;
    }

    /** Short description for result rows: "simt-fp32acc, nvcc 13.0", or "none". */
    static String describe() {
        Properties p = info();
        if (p.isEmpty()) return "none";
        String nvcc = p.getProperty("nvcc", "");
        int release = nvcc.indexOf("release ");
        String version = release < 0 ? nvcc : nvcc.substring(release + 8).split(",")[0];
        return p.getProperty("variant", "?") + ", nvcc " + version;
    }
}
