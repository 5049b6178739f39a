package io.tiebreak.runtime.backend.cuda;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@link Device} whose "device memory" is host memory and whose kernels run in the {@link HostEmulator}: the same
 * sources, launch geometry and argument lists as on a GPU. Every allocation is fenced by guard bytes checked after
 * each launch (out-of-bounds writes fail the launch), and every pointer argument must point into a live allocation.
 */
final class EmulatedDevice implements Device {
    private static final int GUARD = 256;
    private static final byte FILL = (byte) 0xA5;

    private record Block(long base, long bytes) {}

    private final long capacity;
    private final TreeMap<Long, Block> blocks = new TreeMap<>(); // user address -> block
    private final Set<String> launched = Collections.synchronizedSet(new LinkedHashSet<>());
    private final List<String> launchLog = new ArrayList<>();
    private long used;
    private boolean closed;

    EmulatedDevice(long capacity) {
        this.capacity = capacity;
        HostEmulator.api();
    }

    @Override public String name() { return "host emulator"; }
    @Override public long totalMemory() { return capacity; }

    /** Kernels launched so far, in first-launch order. */
    Set<String> launched() { return launched; }

    /** Every launch: kernel name and arguments. */
    List<String> launchLog() { return launchLog; }

    long liveBytes() { return used; }

    @Override
    public long allocate(long bytes) {
        if (used + bytes > capacity) return 0;
        long base = Native.malloc(bytes + 2L * GUARD);
        if (base == 0) return 0;
        Pointer p = new Pointer(base);
        p.setMemory(0, GUARD, FILL);
        p.setMemory(GUARD, bytes, (byte) 0x5A); // garbage, like fresh device memory
        p.setMemory(GUARD + bytes, GUARD, FILL);
        blocks.put(base + GUARD, new Block(base, bytes));
        used += bytes;
        return base + GUARD;
    }

    @Override
    public void free(long address) {
        Block b = blocks.remove(address);
        if (b == null) throw new IllegalArgumentException("free of 0x" + Long.toHexString(address) + ": not allocated");
        checkGuards(address, b, "free");
        used -= b.bytes();
        Native.free(b.base());
    }

    private void range(long address, long bytes, String what) {
        Map.Entry<Long, Block> e = blocks.floorEntry(address);
        if (e == null || address + bytes > e.getKey() + e.getValue().bytes()) {
            throw new IllegalArgumentException(what + " of " + bytes + " bytes at 0x" + Long.toHexString(address) + " is outside every allocation");
        }
    }

    @Override
    public void upload(Object a, long address, long bytes) {
        range(address, bytes, "upload");
        Pointer p = new Pointer(address);
        if (a instanceof float[]) p.write(0, (float[]) a, 0, (int) (bytes / 4));
        else if (a instanceof double[]) p.write(0, (double[]) a, 0, (int) (bytes / 8));
        else if (a instanceof short[]) p.write(0, (short[]) a, 0, (int) (bytes / 2));
        else if (a instanceof int[]) p.write(0, (int[]) a, 0, (int) (bytes / 4));
        else if (a instanceof long[]) p.write(0, (long[]) a, 0, (int) (bytes / 8));
        else p.write(0, (byte[]) a, 0, (int) bytes);
    }

    @Override
    public void download(long address, Object a, long bytes) {
        range(address, bytes, "download");
        Pointer p = new Pointer(address);
        if (a instanceof float[]) p.read(0, (float[]) a, 0, (int) (bytes / 4));
        else if (a instanceof double[]) p.read(0, (double[]) a, 0, (int) (bytes / 8));
        else if (a instanceof short[]) p.read(0, (short[]) a, 0, (int) (bytes / 2));
        else if (a instanceof int[]) p.read(0, (int[]) a, 0, (int) (bytes / 4));
        else if (a instanceof long[]) p.read(0, (long[]) a, 0, (int) (bytes / 8));
        else p.read(0, (byte[]) a, 0, (int) bytes);
    }

    @Override
    public void copy(long src, long dst, long bytes) {
        range(src, bytes, "copy source");
        range(dst, bytes, "copy destination");
        new Pointer(dst).write(0, new Pointer(src).getByteArray(0, (int) bytes), 0, (int) bytes);
    }

    @Override
    public void zero(long address, long bytes) {
        range(address, bytes, "zero");
        new Pointer(address).setMemory(0, bytes, (byte) 0);
    }

    @Override
    public void launch(String kernel, Launch launch, KernelArgs args) {
        if (closed) throw new IllegalStateException("device closed");
        int n = args.size();
        Memory values = new Memory(8L * Math.max(1, n));
        Memory pointers = new Memory(8L * Math.max(1, n));
        // Garbage around every value: a kernel parameter wider than what Java passed (long long vs int, double vs
        // float) reads it, fails here, and cannot slip through to a GPU, where cuLaunchKernel would read garbage too.
        values.setMemory(0, values.size(), FILL);
        for (int i = 0; i < n; i++) {
            Number v = args.value(i);
            switch (args.kind(i)) {
                case INT: values.setInt(8L * i, v.intValue()); break;
                case FLOAT: values.setFloat(8L * i, v.floatValue()); break;
                case DOUBLE: values.setDouble(8L * i, v.doubleValue()); break;
                case POINTER:
                    long a = v.longValue();
                    if (a != 0) {
                        Map.Entry<Long, Block> e = blocks.floorEntry(a);
                        if (e == null || a >= e.getKey() + e.getValue().bytes()) {
                            throw new IllegalArgumentException(kernel + ": argument " + i + " (0x" + Long.toHexString(a)
                                    + ") points outside every live allocation");
                        }
                    }
                    values.setLong(8L * i, a);
                    break;
                default: values.setLong(8L * i, v.longValue());
            }
            pointers.setPointer(8L * i, values.share(8L * i));
        }
        launched.add(kernel);
        launchLog.add(kernel + args);
        byte[] err = new byte[512];
        int rc;
        // One launch at a time in this process, whichever emulated device: the emulator's fibers and the kernels'
        // __shared__ arrays (statics on the host) are process-wide. Two devices of one run take turns.
        synchronized (HostEmulator.class) {
            try {
                rc = HostEmulator.api().tb_emu_launch(kernel, launch.gridX(), launch.gridY(), launch.gridZ(),
                        launch.block(), 1, 1, pointers, err, err.length);
            } finally {
                // The kernel reads the argument values through raw addresses only: without these fences the JIT may
                // let the GC (another device's thread allocating) free both Memory blocks mid-launch.
                Reference.reachabilityFence(values);
                Reference.reachabilityFence(pointers);
            }
        }
        if (rc != 0) throw new IllegalStateException(kernel + ": " + Native.toString(err));
        for (Map.Entry<Long, Block> e : blocks.entrySet()) checkGuards(e.getKey(), e.getValue(), kernel);
    }

    private static void checkGuards(long address, Block b, String after) {
        Pointer p = new Pointer(b.base());
        byte[] before = p.getByteArray(0, GUARD), behind = p.getByteArray(GUARD + b.bytes(), GUARD);
        for (int i = 0; i < GUARD; i++) {
            if (before[i] != FILL || behind[i] != FILL) {
                throw new IllegalStateException(after + " wrote outside the allocation at 0x" + Long.toHexString(address)
                        + " (" + b.bytes() + " bytes)");
            }
        }
    }

    @Override public void synchronize() {}

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Map.Entry<Long, Block> e : new ArrayList<>(blocks.entrySet())) free(e.getKey());
    }
}
