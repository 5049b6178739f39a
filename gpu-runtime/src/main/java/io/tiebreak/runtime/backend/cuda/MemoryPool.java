package io.tiebreak.runtime.backend.cuda;

import io.tiebreak.runtime.precision.Precision.Format;
import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Device memory for one backend: a cache of freed blocks by size class (a training step allocates the same sizes
 * every time, so after the first step nothing reaches cudaMalloc), plus garbage-collected release of tensor
 * storage. {@link io.tiebreak.runtime.backend.Backend} has no free: a tensor's {@link DeviceBuffer} returns its block
 * here when the JVM finds it unreachable. Java's heap does not feel device memory, so the pool asks for a garbage
 * collection itself when the device fills up (at a soft limit, and again before reporting out of memory).
 *
 * <p>Blocks are reused on the backend's single stream, so a block freed while a queued kernel still reads it is
 * only handed to work queued after that kernel. Only the owning thread allocates; the Cleaner thread only enqueues.
 */
final class MemoryPool implements AutoCloseable {
    /** Raw device memory: allocate returns 0 when there is no room. */
    interface Raw {
        long allocate(long bytes);

        void free(long address);

        /** Waits until queued work no longer uses freed blocks (before memory goes back to the device). */
        void synchronize();
    }

    /** Smallest block: also the alignment of every block (cudaMalloc aligns to 256). */
    static final long MIN_BLOCK = 512;
    /** Fraction of the device beyond which a garbage collection is tried before allocating more. */
    static final double SOFT_LIMIT = 0.8;

    private static final Cleaner CLEANER = Cleaner.create();

    private final Raw raw;
    private final long capacity;
    private final Runnable collectGarbage;
    private final Map<Long, ArrayDeque<Long>> cached = new HashMap<>();
    private final ConcurrentLinkedQueue<long[]> released = new ConcurrentLinkedQueue<>();
    private long deviceBytes; // obtained from raw and not given back
    private long cachedBytes;
    private long allocatedSinceCollection;
    private long collections;
    private boolean closed;

    /**
     * @param capacity device memory the pool may fill (the device's total)
     * @param collectGarbage asks the JVM to find unreachable buffers (System::gc in production)
     */
    MemoryPool(Raw raw, long capacity, Runnable collectGarbage) {
        this.raw = raw;
        this.capacity = capacity;
        this.collectGarbage = collectGarbage;
    }

    /**
     * Size class of a request: multiples of 512 bytes up to 1 MiB, then eight classes per power of two (at most
     * 12.5% unused), so slightly different sizes (a smaller last batch) still share blocks.
     */
    static long sizeClass(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative allocation: " + bytes);
        long b = Math.max(bytes, MIN_BLOCK);
        if (b <= (1 << 20)) return (b + MIN_BLOCK - 1) / MIN_BLOCK * MIN_BLOCK;
        int top = 63 - Long.numberOfLeadingZeros(b); // 2^top <= b < 2^(top+1)
        long step = 1L << (top - 3);
        return (b + step - 1) / step * step;
    }

    /** A tensor's storage: returned to the pool when unreachable. */
    DeviceBuffer buffer(Format format, int elements) {
        long bytes = sizeClass((long) elements * format.bytes());
        long address = allocate(bytes);
        DeviceBuffer buffer = new DeviceBuffer(address, bytes, format, elements);
        CLEANER.register(buffer, () -> released.add(new long[] {address, bytes}));
        return buffer;
    }

    /** A block of at least bytes (rounded to its size class), returned with {@link #release}. */
    long allocate(long bytes) {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        long size = sizeClass(bytes);
        drainReleased();
        Long reused = takeCached(size);
        if (reused != null) return reused;
        if (deviceBytes + size > SOFT_LIMIT * capacity && allocatedSinceCollection > capacity / 8) {
            collect();
            reused = takeCached(size);
            if (reused != null) return reused;
        }
        long address = raw.allocate(size);
        if (address == 0) {
            collect();
            reused = takeCached(size);
            if (reused != null) return reused;
            trimCache();
            address = raw.allocate(size);
            if (address == 0) {
                throw new DeviceOutOfMemoryException(String.format(
                        "out of GPU memory: %d bytes requested, %d in use by this backend (%d of them cached), "
                                + "device has %d; a smaller batch needs less",
                        size, deviceBytes, cachedBytes, capacity));
            }
        }
        deviceBytes += size;
        allocatedSinceCollection += size;
        return address;
    }

    /** Gives a block back to the cache (owner thread). */
    void release(long address, long bytes) {
        long size = sizeClass(bytes);
        cached.computeIfAbsent(size, s -> new ArrayDeque<>()).push(address);
        cachedBytes += size;
    }

    private Long takeCached(long size) {
        ArrayDeque<Long> blocks = cached.get(size);
        if (blocks == null || blocks.isEmpty()) return null;
        cachedBytes -= size;
        return blocks.pop();
    }

    private void drainReleased() {
        long[] block;
        while ((block = released.poll()) != null) release(block[0], block[1]);
    }

    /** Runs a garbage collection and waits briefly for the Cleaner to hand back what it found. */
    private void collect() {
        collections++;
        allocatedSinceCollection = 0;
        collectGarbage.run();
        for (int i = 0; i < 20 && released.isEmpty(); i++) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        drainReleased();
    }

    /** Returns every cached block to the device (other size classes may then fit). */
    void trimCache() {
        if (cached.isEmpty()) return;
        raw.synchronize();
        for (ArrayDeque<Long> blocks : cached.values()) {
            for (long address : blocks) raw.free(address);
        }
        deviceBytes -= cachedBytes;
        cachedBytes = 0;
        cached.clear();
    }

    long deviceBytes() { return deviceBytes; }

    long cachedBytes() { return cachedBytes; }

    long collections() { return collections; }

    /**
     * Frees the cached blocks. Live buffers are abandoned to the device context, which frees them when it goes;
     * their Cleaner actions then find the pool closed and do nothing.
     */
    @Override
    public void close() {
        if (closed) return;
        drainReleased();
        trimCache();
        closed = true;
    }
}
