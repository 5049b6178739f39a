package io.tiebreak.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemoryPoolTest {
    /** Device memory of a fixed size, with addresses counting up. */
    private static final class FakeDevice implements MemoryPool.Raw {
        final long capacity;
        final Map<Long, Long> live = new HashMap<>();
        long next = 1 << 20, used;
        int allocations, frees, syncs;

        FakeDevice(long capacity) { this.capacity = capacity; }

        @Override public long allocate(long bytes) {
            if (used + bytes > capacity) return 0;
            allocations++;
            used += bytes;
            long a = next;
            next += bytes;
            live.put(a, bytes);
            return a;
        }

        @Override public void free(long address) {
            frees++;
            used -= live.remove(address);
        }

        @Override public void synchronize() { syncs++; }
    }

    @Test
    void sizeClassesAreBlockMultiplesThenEighthsOfAPowerOfTwo() {
        assertEquals(512, MemoryPool.sizeClass(0));
        assertEquals(512, MemoryPool.sizeClass(1));
        assertEquals(1024, MemoryPool.sizeClass(513));
        assertEquals(1 << 20, MemoryPool.sizeClass((1 << 20) - 5));
        assertEquals((1 << 20) + (1 << 17), MemoryPool.sizeClass((1 << 20) + 1));
        for (long b = 1; b < (1L << 34); b = b * 3 + 7) {
            long c = MemoryPool.sizeClass(b);
            assertTrue(c >= b && c <= Math.max(b + MemoryPool.MIN_BLOCK - 1, b + b / 8), b + " -> " + c);
            assertEquals(c, MemoryPool.sizeClass(c), "a size class is its own class");
        }
    }

    @Test
    void releasedBlocksAreReusedForTheSameSizeClass() {
        FakeDevice d = new FakeDevice(1 << 30);
        MemoryPool pool = new MemoryPool(d, d.capacity, () -> {});
        long a = pool.allocate(1000);
        pool.release(a, 1000);
        assertEquals(a, pool.allocate(900), "900 and 1000 bytes share the 1024-byte class");
        assertNotEquals(a, pool.allocate(1000));
        assertEquals(2, d.allocations);
    }

    @Test
    void unreachableBuffersComeBackThroughTheCleaner() throws InterruptedException {
        FakeDevice d = new FakeDevice(1 << 30);
        MemoryPool pool = new MemoryPool(d, d.capacity, System::gc);
        long address = pool.buffer(io.tiebreak.runtime.precision.Precision.Format.SINGLE, 1000).address; // the buffer is garbage right away
        long reused = 0;
        for (int i = 0; i < 50 && reused != address; i++) {
            System.gc();
            Thread.sleep(20);
            reused = pool.allocate(4000);
            if (reused != address) pool.release(reused, 4000);
        }
        assertEquals(address, reused);
        assertEquals(1, d.allocations + (reused == address ? 0 : 1));
    }

    @Test
    void aFullDeviceTriggersACollectionAndTheCollectedBlocksAreReused() {
        FakeDevice d = new FakeDevice(8 << 20);
        List<Runnable> onCollect = new ArrayList<>();
        MemoryPool pool = new MemoryPool(d, d.capacity, () -> onCollect.forEach(Runnable::run));
        long a = pool.allocate(4 << 20), b = pool.allocate(4 << 20);
        onCollect.add(() -> pool.release(a, 4 << 20)); // the "GC" finds a's tensor unreachable
        assertEquals(a, pool.allocate(4 << 20));
        assertTrue(pool.collections() >= 1);
        pool.release(b, 4 << 20);
    }

    @Test
    void cachedBlocksOfOtherSizesAreFreedBeforeGivingUp() {
        FakeDevice d = new FakeDevice(8 << 20);
        MemoryPool pool = new MemoryPool(d, d.capacity, () -> {});
        long small = pool.allocate(6 << 20);
        pool.release(small, 6 << 20);
        long big = pool.allocate(7 << 20);
        assertTrue(big != 0);
        assertEquals(1, d.frees, "the cached 6 MiB block went back to the device");
        assertTrue(d.syncs >= 1, "queued kernels finish before memory goes back");
    }

    @Test
    void outOfMemorySaysHowMuchWasAskedAndHeld() {
        FakeDevice d = new FakeDevice(4 << 20);
        MemoryPool pool = new MemoryPool(d, d.capacity, () -> {});
        pool.allocate(3 << 20);
        DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class, () -> pool.allocate(2 << 20));
        assertTrue(e.getMessage().contains("out of GPU memory: 2097152 bytes requested, 3145728 in use"), e.getMessage());
    }

    @Test
    void closingFreesTheCacheAndRefusesNewWork() {
        FakeDevice d = new FakeDevice(1 << 30);
        MemoryPool pool = new MemoryPool(d, d.capacity, () -> {});
        pool.release(pool.allocate(4096), 4096);
        pool.close();
        assertEquals(0, d.used);
        assertThrows(IllegalStateException.class, () -> pool.allocate(1));
    }
}
