package io.tiebreak.runtime.parallel;

import java.util.function.Consumer;

/**
 * How the devices of one run hand each other values: an all-gather. {@link LocalExchange} joins devices in one JVM
 * (threads and shared memory); docs/design.md ("Data parallelism") plans the one across the tasks of a Spark barrier
 * stage.
 */
public interface Exchange {

    /** Devices in the run. */
    int replicas();

    /** This device's index, 0 to replicas() - 1. */
    int rank();

    /**
     * Gives {@code mine} to every device and runs {@code use} with every device's contribution, indexed by rank. All
     * devices of a run call this in the same order. A contribution stays valid (its owner changes nothing it refers
     * to) until every device's {@code use} has returned, so {@code use} may read another device's memory in place.
     *
     * @throws IllegalStateException when another device failed or the exchange was aborted
     */
    void allGather(Object mine, Consumer<Object[]> use);

    /** One device alone: its own contribution is all there is. */
    Exchange SOLO = new Exchange() {
        @Override public int replicas() { return 1; }
        @Override public int rank() { return 0; }
        @Override public void allGather(Object mine, Consumer<Object[]> use) { use.accept(new Object[] {mine}); }
    };
}
