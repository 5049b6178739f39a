package io.tiebreak.runtime.parallel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;

/** Test devices: a task per device, each on a thread of its own, joined by a {@link LocalExchange}. */
public final class OnDevices {
    private OnDevices() {}

    /** Runs task(rank, exchange) on `devices` threads at once; the results by rank. */
    public static <T> List<T> run(int devices, BiFunction<Integer, Exchange, T> task) throws Exception {
        List<LocalExchange> group = LocalExchange.group(devices);
        ExecutorService threads = Executors.newFixedThreadPool(devices);
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int r = 0; r < devices; r++) {
                int rank = r;
                fs.add(threads.submit(() -> task.apply(rank, group.get(rank))));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) out.add(f.get());
            return out;
        } finally {
            threads.shutdownNow();
        }
    }
}
