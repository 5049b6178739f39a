package io.tiebreak.runtime.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed set of worker threads that run the tasks 0..n-1 of one kernel at a time; the calling thread works too.
 *
 * <p>Determinism does not rest on this class: callers split work into a number of tasks that depends only on the
 * problem's shape (see {@link #tasks}), and each task writes disjoint outputs or a partial result that the caller
 * combines in task order. The thread count changes only who runs a task, never what it computes.
 *
 * <p>Workers spin briefly before parking because a training step issues kernels microseconds apart.
 */
public final class WorkerPool implements AutoCloseable {
    /**
     * Upper bound on tasks per kernel, fixed so splits depend on shapes only. Eight keeps a task of 8 cores busy
     * while each GEMM block stays large; more blocks would repack shared operands more often.
     */
    static final int MAX_TASKS = 8;
    /** Elementwise work below this many values runs as one task. */
    static final int ELEMENTWISE_GRAIN = 1 << 15;

    private static final long SPIN_NANOS = 50_000;

    /** One call of run: its own counters, so a worker late from an earlier call cannot claim a task of this one. */
    private static final class Job {
        final IntConsumer body;
        final int tasks;
        final Thread owner;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger pending;
        volatile Throwable failure;

        Job(IntConsumer body, int tasks, Thread owner) {
            this.body = body;
            this.tasks = tasks;
            this.owner = owner;
            this.pending = new AtomicInteger(tasks);
        }

        void work() {
            int i;
            while ((i = next.getAndIncrement()) < tasks) {
                try {
                    body.accept(i);
                } catch (Throwable t) {
                    if (failure == null) failure = t;
                } finally {
                    if (pending.decrementAndGet() == 0 && Thread.currentThread() != owner) LockSupport.unpark(owner);
                }
            }
        }
    }

    private final int threads;
    private final Thread[] workers;
    private volatile Job job;
    private volatile boolean closed;
    private boolean running; // set while the owner is inside run(), so nested calls run inline
    private final Thread owner;

    /** A pool of the given size, owned by the calling thread (other threads' calls run inline). */
    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.owner = Thread.currentThread();
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workerLoop, "tiebreak-cpu-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    public int threads() { return threads; }

    /**
     * Number of tasks for work of a given size: one per minPerTask items, at most maxTasks. Depends only on its
     * arguments, never on the thread count.
     */
    public static int tasks(long items, long minPerTask, int maxTasks) {
        long t = items / Math.max(1, minPerTask);
        return (int) Math.max(1, Math.min(maxTasks, t));
    }

    /** Start (inclusive) of part i when n items are split into parts as evenly as possible. */
    public static int start(int n, int parts, int i) {
        return (int) ((long) n * i / parts);
    }

    /** Runs body(0..tasks-1), each exactly once, and returns when all are done. */
    public void run(int tasks, IntConsumer body) {
        if (tasks <= 1 || workers.length == 0 || running || Thread.currentThread() != owner) {
            for (int i = 0; i < tasks; i++) body.accept(i);
            return;
        }
        running = true;
        try {
            Job j = new Job(body, tasks, owner);
            job = j;
            for (Thread w : workers) LockSupport.unpark(w);
            j.work();
            // The last task may sit on a descheduled worker: spin briefly, then sleep until it unparks us.
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (j.pending.get() > 0) {
                if (System.nanoTime() < spinUntil) Thread.onSpinWait(); else LockSupport.parkNanos(this, 200_000);
            }
            job = null;
            Throwable f = j.failure;
            if (f instanceof RuntimeException) throw (RuntimeException) f;
            if (f instanceof Error) throw (Error) f;
            if (f != null) throw new IllegalStateException(f);
        } finally {
            running = false;
        }
    }

    private void workerLoop() {
        Job last = null;
        while (!closed) {
            Job j = job;
            if (j != null && j != last) {
                last = j;
                j.work();
                continue;
            }
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (!closed && idle(last) && System.nanoTime() < spinUntil) Thread.onSpinWait();
            if (!closed && idle(last)) LockSupport.parkNanos(this, 1_000_000);
        }
    }

    private boolean idle(Job last) {
        Job j = job;
        return j == null || j == last;
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
