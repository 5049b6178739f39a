package io.tiebreak.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** Every task runs exactly once, nested calls run inline, and a failing task fails the call. */
class WorkerPoolTest {

    @Test
    void eachTaskRunsOnceAcrossManyCalls() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int call = 0; call < 2000; call++) {
                int tasks = 1 + call % 9;
                AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
                pool.run(tasks, runs::incrementAndGet);
                for (int t = 0; t < tasks; t++) assertEquals(1, runs.get(t), "call " + call + " task " + t);
            }
        }
    }

    @Test
    void nestedCallsRunInline() {
        try (WorkerPool pool = new WorkerPool(2)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(16);
            pool.run(4, outer -> pool.run(4, inner -> runs.incrementAndGet(outer * 4 + inner)));
            for (int i = 0; i < 16; i++) assertEquals(1, runs.get(i));
        }
    }

    @Test
    void aFailingTaskFailsTheCall() {
        try (WorkerPool pool = new WorkerPool(2)) {
            var e = assertThrows(IllegalStateException.class, () -> pool.run(8, t -> {
                if (t == 5) throw new IllegalStateException("task 5");
            }));
            assertEquals("task 5", e.getMessage());
            AtomicIntegerArray runs = new AtomicIntegerArray(8);
            pool.run(8, runs::incrementAndGet); // still usable
            for (int i = 0; i < 8; i++) assertEquals(1, runs.get(i));
        }
    }

    @Test
    void splitsDependOnSizesOnly() {
        assertEquals(1, WorkerPool.tasks(10, 100, 8));
        assertEquals(8, WorkerPool.tasks(1 << 30, 100, 8));
        assertEquals(0, WorkerPool.start(10, 3, 0));
        assertEquals(3, WorkerPool.start(10, 3, 1));
        assertEquals(10, WorkerPool.start(10, 3, 3));
    }
}
