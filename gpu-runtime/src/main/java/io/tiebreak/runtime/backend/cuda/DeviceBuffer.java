package io.tiebreak.runtime.backend.cuda;

import io.tiebreak.runtime.precision.Precision.Format;

/**
 * A tensor's storage on the GPU: one block of {@link MemoryPool}, holding {@code elements} values of a format: its
 * precision's value format (binary16 as 2 bytes, binary32 as 4, binary64 as 8; the kernels' arithmetic format for
 * batch-norm statistics and scratch).
 */
final class DeviceBuffer {
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
