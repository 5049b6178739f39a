package io.tiebreak.runtime.backend.cuda;

/**
 * What {@link CudaBackend} needs from a GPU: raw memory, copies and kernel launches, all ordered on one stream.
 * Addresses are device addresses as longs (kernel pointer arguments are passed by value). {@link CudaDevice} is the
 * JCuda implementation; the tests run the same kernels through a host emulator behind this interface.
 */
interface Device extends AutoCloseable {

    /** For logs and result rows, e.g. "NVIDIA H100 80GB HBM3 (sm_90)". */
    String name();

    /** Device memory in bytes. */
    long totalMemory();

    /** At least bytes of device memory, or 0 when the device has no room (the caller may free memory and retry). */
    long allocate(long bytes);

    void free(long address);

    /**
     * Copies bytes from a host array (byte[], short[], int[], float[], long[] or double[]) to the device, after
     * the work already queued; returns when the copy is done.
     */
    void upload(Object hostArray, long address, long bytes);

    /** Copies bytes from the device into a host array once the queued work is done; returns when it is there. */
    void download(long address, Object hostArray, long bytes);

    /** Queues a device-to-device copy. */
    void copy(long src, long dst, long bytes);

    /** Queues setting bytes to zero. */
    void zero(long address, long bytes);

    /** Queues a kernel of the loaded module by name. */
    void launch(String kernel, Launch launch, KernelArgs args);

    /** Waits for the queued work; reports kernel faults. */
    void synchronize();

    @Override
    void close();
}
