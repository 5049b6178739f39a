package io.tiebreak.runtime.train;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.parallel.Exchange;
import io.tiebreak.runtime.parallel.LocalExchange;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The devices one run trains on, each driven by a thread of its own, opened there (a CPU backend spreads over its
 * worker threads only the calls of the thread that opened it), joined by a {@link LocalExchange}. One device runs
 * on the caller's thread. Work for the devices goes through {@link #run}; between two runs the caller may read
 * their tensors itself (checkpoints, digests).
 */
final class Replicas implements AutoCloseable {
    private final List<Backend> backends;
    private final List<LocalExchange> exchanges; // empty for one device
    private final List<ExecutorService> threads; // empty for one device: the caller's thread
    private final boolean owned;

    private Replicas(List<Backend> backends, List<LocalExchange> exchanges, List<ExecutorService> threads, boolean owned) {
        this.backends = List.copyOf(backends);
        this.exchanges = exchanges;
        this.threads = threads;
        this.owned = owned;
    }

    /** One device, the caller's backend, used on the caller's thread and left open. */
    static Replicas caller(Backend backend) {
        return new Replicas(List.of(backend), List.of(), List.of(), false);
    }

    /** Opens each device on a thread of its own (one device: on the caller's thread); {@link #close} closes them. */
    static Replicas open(List<Supplier<Backend>> devices) {
        if (devices.isEmpty()) throw new IllegalArgumentException("a run needs at least one device");
        if (devices.size() == 1) return new Replicas(List.of(devices.get(0).get()), List.of(), List.of(), true);
        List<ExecutorService> threads = new ArrayList<>();
        for (int r = 0; r < devices.size(); r++) {
            String name = "tiebreak-device-" + r;
            threads.add(Executors.newSingleThreadExecutor(task -> {
                Thread t = new Thread(task, name);
                t.setDaemon(true);
                return t;
            }));
        }
        Replicas opening = new Replicas(List.of(), LocalExchange.group(devices.size()), threads, true);
        Backend[] opened = new Backend[devices.size()];
        try {
            opening.run(r -> opened[r] = devices.get(r).get());
        } catch (RuntimeException | Error e) {
            for (Backend b : opened) if (b != null) b.close();
            threads.forEach(ExecutorService::shutdownNow);
            throw e;
        }
        return new Replicas(List.of(opened), opening.exchanges, threads, true);
    }

    int size() { return backends.size(); }

    Backend backend(int rank) { return backends.get(rank); }

    /** The exchange of device rank with the others. */
    Exchange exchange(int rank) { return exchanges.isEmpty() ? Exchange.SOLO : exchanges.get(rank); }

    /**
     * Runs task(rank) for every device, each on its thread, all at once, and returns the results by rank. When one
     * fails, the others are released from the exchanges they wait in, and its failure is thrown.
     */
    <T> List<T> run(IntFunction<T> task) {
        if (threads.isEmpty()) return java.util.Collections.singletonList(task.apply(0));
        List<Future<T>> futures = new ArrayList<>();
        for (int r = 0; r < threads.size(); r++) {
            int rank = r;
            futures.add(threads.get(r).submit(() -> task.apply(rank)));
        }
        List<T> results = new ArrayList<>();
        Throwable failure = null;
        for (Future<T> f : futures) {
            try {
                results.add(f.get());
            } catch (ExecutionException e) {
                if (failure == null || failure instanceof LocalExchange.Aborted) failure = e.getCause();
                exchanges.get(0).abort();
            } catch (InterruptedException e) {
                exchanges.get(0).abort();
                futures.forEach(x -> x.cancel(true));
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the run's devices were training");
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new IllegalStateException(failure);
        return results;
    }

    /** Runs task on device rank's thread (the caller's for one device). */
    <T> T on(int rank, Supplier<T> task) {
        if (threads.isEmpty()) return task.get();
        try {
            return threads.get(rank).submit(task::get).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the run's devices were training");
        }
    }

    @Override
    public void close() {
        try {
            if (owned && !backends.isEmpty()) {
                run(r -> {
                    backends.get(r).close();
                    return null;
                });
            }
        } finally {
            threads.forEach(ExecutorService::shutdownNow);
        }
    }
}
