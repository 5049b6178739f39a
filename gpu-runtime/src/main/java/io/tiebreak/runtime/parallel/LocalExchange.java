package io.tiebreak.runtime.parallel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.function.Consumer;

/**
 * The exchange between devices driven by threads of one JVM: contributions are handed over as references (shared
 * memory), and a barrier before and after {@code use} keeps each valid while others read it.
 */
public final class LocalExchange implements Exchange {
    private static final class Group {
        final Object[] slots;
        final CyclicBarrier barrier;
        volatile boolean aborted;

        Group(int replicas) {
            slots = new Object[replicas];
            barrier = new CyclicBarrier(replicas);
        }
    }

    private final Group group;
    private final int rank;

    private LocalExchange(Group group, int rank) {
        this.group = group;
        this.rank = rank;
    }

    /** One endpoint per device of a run, by rank; each is used by its device's thread only. */
    public static List<LocalExchange> group(int replicas) {
        if (replicas < 1) throw new IllegalArgumentException("a run needs at least one device, got " + replicas);
        Group g = new Group(replicas);
        List<LocalExchange> out = new ArrayList<>();
        for (int r = 0; r < replicas; r++) out.add(new LocalExchange(g, r));
        return out;
    }

    @Override public int replicas() { return group.slots.length; }
    @Override public int rank() { return rank; }

    @Override
    public void allGather(Object mine, Consumer<Object[]> use) {
        group.slots[rank] = mine;
        await();
        use.accept(group.slots.clone());
        await();
    }

    /** Fails every device waiting in, or later entering, allGather: one device's work failed. */
    public void abort() {
        group.aborted = true;
        group.barrier.reset();
    }

    private void await() {
        if (group.aborted) throw new Aborted();
        try {
            group.barrier.await();
        } catch (BrokenBarrierException e) {
            throw new Aborted();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort();
            throw new IllegalStateException("interrupted while waiting for the run's other devices");
        }
    }

    /** Thrown on the devices released by {@link #abort}: the cause of the failure is another device's. */
    public static final class Aborted extends IllegalStateException {
        Aborted() { super("another device of this run failed"); }
    }
}
