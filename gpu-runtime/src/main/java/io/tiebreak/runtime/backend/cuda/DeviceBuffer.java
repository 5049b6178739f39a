package io.tiebreak.runtime.backend.cuda;

import io.tiebreak.runtime.precision.Precision;

/**
 * A tensor's storage on the GPU: one block of {@link MemoryPool}, holding {@code elements} values of a format.
 * binary16 tensors are stored as binary16 (2 bytes), binary32 as 4 bytes, binary64 as 8.
 */
final class DeviceBuffer {
    /** How a tensor's values are stored, and the kernel-name suffix of kernels that take them. */
    enum Format {
        F16(2, "f16"), F32(4, "f32"), F64(8, "f64");

        private final int bytes;
        private final String suffix;

        Format(int bytes, String suffix) {
            this.bytes = bytes;
            this.suffix = suffix;
        }

        int bytes() { return bytes; }

        String suffix() { return suffix; }

        /** Storage of a precision's values (valueFormat: fp16 -> F16, fp32 and mixed -> F32, fp64 -> F64). */
        static Format of(Precision p) {
            switch (p.valueFormat()) {
                case HALF: return F16;
                case SINGLE: return F32;
                default: return F64;
            }
        }

        /** Storage of the kernels' arithmetic type (partial sums, batch-norm statistics): F32, or F64 for fp64. */
        static Format accumulation(Precision p) { return p.isDouble() ? F64 : F32; }
    }

    final long address;
    final long bytes;
    final Format format;
    final int elements;

    DeviceBuffer(long address, long bytes, Format format, int elements) {
        this.address = address;
        this.bytes = bytes;
        this.format = format;
        this.elements = elements;
    }
}
