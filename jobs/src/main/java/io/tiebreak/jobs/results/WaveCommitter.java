package io.tiebreak.jobs.results;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits finished runs in waves while a sweep goes on: outcomes queue up as their tasks finish, and a background
 * thread writes them every interval (or as soon as maxPending are waiting; the first wave as soon as there is
 * anything), so results become queryable during a long sweep without one write per run.
 *
 * <p>Each run lands exactly once. A wave writes the epochs of its completed and diverged runs first, then their runs
 * rows, each table's rows as one atomic Iceberg commit tagged with the wave's id (a retried write finds its own
 * commit by that id and does not repeat it); the runs row is what marks a run done. Epochs of a run that already has epoch rows (a driver that died
 * between the two writes) are not written again. Failed runs get a runs row (status failed, the reason) but no
 * epoch rows: a later attempt resumes from the checkpoint and its result carries every epoch.
 *
 * <p>Other jobs hand over rows of any table with {@link #offer(Tables.Table, List)} (the zones job: a task's
 * minibatches); they are written in the same waves, each table's rows of a wave in one write.
 */
public final class WaveCommitter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WaveCommitter.class);
    private static final int ATTEMPTS = 3;

    private final ResultStore store;
    private final Set<String> runsWithEpochs = ConcurrentHashMap.newKeySet();
    private final long intervalMillis;
    private final int maxPending;
    private final IntConsumer onCommitted;
    private final List<RunOutcome> pendingRuns = new ArrayList<>();
    private final List<TrialOutcome> pendingTrials = new ArrayList<>();
    private final Map<Tables.Table, List<Row>> pendingRows = new EnumMap<>(Tables.Table.class);
    private int pendingOffers;
    private final Thread thread;
    private long oldestPendingAt;
    private boolean closing;
    private RuntimeException failure;
    private int waves;
    private int committedRuns;

    /**
     * @param runsWithEpochs run ids whose epoch rows are already committed
     * @param onCommitted    told how many runs (or trials) each wave committed
     */
    public WaveCommitter(ResultStore store, Set<String> runsWithEpochs, long intervalMillis, int maxPending,
                         IntConsumer onCommitted) {
        this.store = store;
        this.runsWithEpochs.addAll(runsWithEpochs);
        this.intervalMillis = intervalMillis;
        this.maxPending = maxPending;
        this.onCommitted = onCommitted;
        this.thread = new Thread(this::loop, "tiebreak-wave-committer");
        thread.setDaemon(true);
        thread.start();
    }

    public synchronized void offer(RunOutcome outcome) {
        throwIfFailed();
        if (outcome.status() == Status.BAD_INPUT) throw new IllegalArgumentException("bad input is reported, not committed");
        if (pending() == 0) oldestPendingAt = System.currentTimeMillis();
        pendingRuns.add(outcome);
        notifyAll();
    }

    public synchronized void offer(TrialOutcome trial) {
        throwIfFailed();
        if (pending() == 0) oldestPendingAt = System.currentTimeMillis();
        pendingTrials.add(trial);
        notifyAll();
    }

    /** Queues rows of a table (counted as one unit of work for the wave size and onCommitted). */
    public synchronized void offer(Tables.Table table, List<Row> rows) {
        throwIfFailed();
        if (pending() == 0) oldestPendingAt = System.currentTimeMillis();
        pendingRows.computeIfAbsent(table, t -> new ArrayList<>()).addAll(rows);
        pendingOffers++;
        notifyAll();
    }

    private int pending() { return pendingRuns.size() + pendingTrials.size() + pendingOffers; }

    /** Waves written so far. */
    public synchronized int waves() { return waves; }

    /** Runs whose rows are committed so far (what a stopped sweep can say is in the tables). */
    public synchronized int committedRuns() { return committedRuns; }

    /** Commits what is pending, waits for the thread to end, and rethrows a commit that failed. */
    @Override
    public void close() {
        synchronized (this) {
            closing = true;
            notifyAll();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            throwIfFailed();
        }
    }

    private void throwIfFailed() {
        if (failure != null) throw failure;
    }

    private void loop() {
        while (true) {
            List<RunOutcome> runs;
            List<TrialOutcome> trials;
            Map<Tables.Table, List<Row>> rows;
            int offers;
            boolean last;
            synchronized (this) {
                while (!closing && !due()) {
                    try {
                        long wait = pending() == 0 ? 0
                                : Math.max(1, oldestPendingAt + intervalMillis - System.currentTimeMillis());
                        wait(wait);
                    } catch (InterruptedException e) {
                        closing = true;
                    }
                }
                runs = new ArrayList<>(pendingRuns);
                trials = new ArrayList<>(pendingTrials);
                rows = new EnumMap<>(pendingRows);
                offers = pendingOffers;
                pendingRuns.clear();
                pendingTrials.clear();
                pendingRows.clear();
                pendingOffers = 0;
                last = closing;
            }
            if (!runs.isEmpty() || !trials.isEmpty() || offers > 0) {
                try {
                    commit(runs, trials, rows, offers);
                } catch (RuntimeException e) {
                    synchronized (this) {
                        failure = new IllegalStateException("cannot commit results to " + store.root() + ": " + e, e);
                    }
                    LOG.error("{}", failure.getMessage());
                    return;
                }
            }
            if (last) return;
        }
    }

    /**
     * The first wave goes as soon as anything is pending (the first finished run is queryable at once, and a driver
     * killed early loses no finished row to the interval); later ones every interval or at maxPending.
     */
    private boolean due() {
        int n = pending();
        return n > 0 && (waves == 0 || n >= maxPending || System.currentTimeMillis() - oldestPendingAt >= intervalMillis);
    }

    /** One wave: epochs, then runs, then trials, then other rows; each write retried, none repeated once it succeeded. */
    private void commit(List<RunOutcome> runs, List<TrialOutcome> trials, Map<Tables.Table, List<Row>> tableRows,
                        int offers) {
        long t0 = System.nanoTime();
        String wave = java.util.UUID.randomUUID().toString();
        if (!runs.isEmpty()) {
            List<Row> epochRows = new ArrayList<>();
            List<String> newIds = new ArrayList<>();
            for (RunOutcome o : runs) {
                if (!o.status().isFinal() || runsWithEpochs.contains(o.runId())) continue;
                for (EpochRow e : o.epochs()) epochRows.add(Tables.EPOCHS.row(new Tables.EpochOf(o, e)));
                newIds.add(o.runId());
            }
            if (!epochRows.isEmpty()) withRetries(() -> store.append(Tables.Table.EPOCHS, epochRows, wave));
            runsWithEpochs.addAll(newIds);
            List<Row> runRows = new ArrayList<>();
            for (RunOutcome o : runs) runRows.add(Tables.RUNS.row(o));
            withRetries(() -> store.append(Tables.Table.RUNS, runRows, wave));
        }
        if (!trials.isEmpty()) {
            List<Row> rows = new ArrayList<>();
            for (TrialOutcome t : trials) rows.add(Tables.LR_TRIALS.row(t));
            withRetries(() -> store.append(Tables.Table.LR_TRIALS, rows, wave));
        }
        tableRows.forEach((table, r) -> {
            if (!r.isEmpty()) withRetries(() -> store.append(table, r, wave));
        });
        synchronized (this) {
            waves++;
            committedRuns += runs.size();
        }
        LOG.debug("wave of {} runs, {} trials and {} other results committed in {} ms", runs.size(), trials.size(),
                offers, (System.nanoTime() - t0) / 1_000_000);
        onCommitted.accept(runs.size() + trials.size() + offers);
    }

    private static void withRetries(Runnable write) {
        for (int attempt = 1; ; attempt++) {
            try {
                write.run();
                return;
            } catch (RuntimeException e) {
                if (attempt >= ATTEMPTS) throw e;
                LOG.warn("result write failed (attempt {} of {}), retrying: {}", attempt, ATTEMPTS, e.toString());
                try {
                    Thread.sleep(1000L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
