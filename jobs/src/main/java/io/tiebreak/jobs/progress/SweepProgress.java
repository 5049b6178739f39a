package io.tiebreak.jobs.progress;

import io.tiebreak.jobs.errors.UserError;
import io.tiebreak.jobs.results.RunOutcome;
import io.tiebreak.jobs.results.Status;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Live state of a sweep on the driver: runs done, running (with their current epoch) and left, results committed,
 * and an ETA from the sweep's own epoch rate. Shown as a progress bar redrawn in place on a terminal, or as plain
 * lines (one per finished run, a status line every logEvery) when the output is a log.
 */
public final class SweepProgress implements AutoCloseable {

    /** How progress is shown. */
    /** How progress is shown: a bar on a terminal, log lines, or nothing. */
    public enum Mode {
        BAR, LOG, NONE;

        /** The --progress flag: bar, log, none, or auto (bar on a terminal, log otherwise). */
        public static Mode parse(String s) {
            switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "auto": return detect();
                case "bar": return BAR;
                case "log": return LOG;
                case "none": return NONE;
                default: throw new UserError("--progress must be bar, log, none or auto, not '" + s + "'");
            }
        }
    }

    private enum State { PENDING, RUNNING, DONE }

    private final String title;
    private final int[] plannedEpochs;
    private final String[] labels;
    private final State[] state;
    private final long[] epochsDone;
    private final StepProgress.Step[] steps;
    private final Map<Status, Integer> finished = new EnumMap<>(Status.class);
    private final int alreadyDone;
    private final Mode mode;
    private final PrintStream out;
    private final LongSupplier clockMillis;
    private final long startedAt;
    private final long logEveryMillis;
    private long epochsTrained;
    private int committed;
    private long lastLogAt;
    private boolean anyStarted;
    private int skipped;
    private boolean hinted;
    private Thread renderer;
    private volatile boolean closed;

    /**
     * @param labels       a short label per run (task index order)
     * @param epochs       planned epochs per run
     * @param alreadyDone  runs of the grid finished by earlier sweeps (skipped now)
     */
    public SweepProgress(String title, List<String> labels, List<Integer> epochs, int alreadyDone, Mode mode,
                         PrintStream out, LongSupplier clockMillis, long logEveryMillis) {
        this.title = title;
        this.labels = labels.toArray(new String[0]);
        this.plannedEpochs = epochs.stream().mapToInt(Integer::intValue).toArray();
        this.state = new State[this.labels.length];
        java.util.Arrays.fill(state, State.PENDING);
        this.epochsDone = new long[this.labels.length];
        this.steps = new StepProgress.Step[this.labels.length];
        this.alreadyDone = alreadyDone;
        this.mode = mode;
        this.out = out;
        this.clockMillis = clockMillis;
        this.startedAt = clockMillis.getAsLong();
        this.lastLogAt = startedAt;
        this.logEveryMillis = logEveryMillis;
    }

    /** Redraws the bar (or logs a status line when due) from a daemon thread until closed. */
    public SweepProgress start() {
        if (mode == Mode.NONE) return this;
        renderer = new Thread(() -> {
            while (!closed) {
                tick();
                try {
                    Thread.sleep(mode == Mode.BAR ? 500 : 1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "tiebreak-progress");
        renderer.setDaemon(true);
        renderer.start();
        return this;
    }

    /** A task started on run index (again, after a lost executor: its epoch count restarts). */
    public synchronized void started(int index) {
        if (state[index] == State.DONE) return;
        anyStarted = true;
        state[index] = State.RUNNING;
        epochsDone[index] = 0;
        steps[index] = null;
    }

    /** Run index was done by an earlier job (counted in alreadyDone): neither pending nor running. */
    public synchronized void skip(int index) {
        if (state[index] == State.DONE) return;
        state[index] = State.DONE;
        skipped++;
    }

    /** A task of run index ended without a result (executor lost, killed): the run waits for its retry. */
    public void lost(int index, String why) {
        synchronized (this) {
            if (state[index] != State.RUNNING) return;
            state[index] = State.PENDING;
        }
        if (mode != Mode.NONE) {
            print("task lost (" + why + "): " + labels[index] + "; Spark runs it again, from the run's last checkpoint");
        }
    }

    /** The running task of run index has trained this many epochs (from executor heartbeats). */
    public synchronized void epochs(int index, long done) {
        if (state[index] != State.RUNNING || done <= epochsDone[index]) return;
        epochsTrained += done - epochsDone[index];
        epochsDone[index] = done;
    }

    /** The running task of run index is at this step of an epoch (from executor heartbeats). */
    public synchronized void step(int index, StepProgress.Step step) {
        if (state[index] == State.RUNNING) steps[index] = step;
    }

    public void finished(int index, RunOutcome o) {
        String line;
        synchronized (this) {
            if (state[index] == State.DONE) return;
            long trained = Math.max(0, o.epochsDone() - epochsDone[index]);
            epochsTrained += Math.min(trained, plannedEpochs[index]);
            state[index] = State.DONE;
            epochsDone[index] = o.epochsDone();
            finished.merge(o.status(), 1, Integer::sum);
            line = runLine(o);
        }
        if (mode == Mode.LOG || (mode == Mode.BAR && o.status() != Status.COMPLETED)) print(line);
    }

    public synchronized void committed(int runs) { committed += runs; }

    public synchronized int done() {
        int n = skipped;
        for (int v : finished.values()) n += v;
        return n;
    }

    private String runLine(RunOutcome o) {
        String what = String.format(Locale.ROOT, "run %s %s after %d epochs in %s", o.runId(), o.status().id(),
                o.epochsDone(), duration(o.seconds()));
        if (o.status() == Status.COMPLETED || o.status() == Status.DIVERGED) {
            what += String.format(Locale.ROOT, ", test accuracy %.4f", o.finalTestAccuracy());
        }
        if (!o.reason().isEmpty()) what += " (" + o.reason() + ")";
        return what + ": " + o.spec().label() + " [" + done() + "/" + labels.length + "]";
    }

    /** One status line: counts, running runs with their epochs, committed results, ETA. */
    public synchronized String statusLine() {
        int running = 0, pending = 0;
        StringBuilder epochs = new StringBuilder();
        for (int i = 0; i < state.length; i++) {
            if (state[i] == State.RUNNING) {
                running++;
                if (running <= 4) epochs.append(epochs.length() == 0 ? "" : "; ").append(running(i));
            } else if (state[i] == State.PENDING) {
                pending++;
            }
        }
        if (running > 4) epochs.append(", …");
        StringBuilder sb = new StringBuilder();
        sb.append(done()).append('/').append(labels.length).append(" runs");
        for (Map.Entry<Status, Integer> e : finished.entrySet()) sb.append(" · ").append(e.getValue()).append(' ').append(e.getKey().id());
        sb.append(" · running ").append(running);
        if (running > 0) sb.append(" (").append(epochs).append(')');
        sb.append(" · left ").append(pending);
        sb.append(" · committed ").append(committed);
        if (alreadyDone > 0) sb.append(" · skipped ").append(alreadyDone).append(" done before");
        sb.append(" · elapsed ").append(duration((clockMillis.getAsLong() - startedAt) / 1000.0));
        sb.append(" · ETA ").append(eta());
        return sb.toString();
    }

    /** A running run: epochs done of planned and, once a heartbeat brought one, where it is in the next epoch. */
    private String running(int i) {
        StepProgress.Step s = steps[i];
        String done = "epochs " + epochsDone[i] + "/" + plannedEpochs[i];
        if (s == null || s.epoch() != epochsDone[i] + 1) return done;
        return String.format(Locale.ROOT, "%s, step %d/%d, loss %.4g, %.0f img/s", done, s.step(), s.steps(), s.loss(),
                s.imagesPerSecond());
    }

    /** Remaining epochs at the sweep's measured epoch rate, or "--" before the first epoch. */
    synchronized String eta() {
        long remaining = 0;
        for (int i = 0; i < state.length; i++) {
            if (state[i] != State.DONE) remaining += Math.max(0, plannedEpochs[i] - epochsDone[i]);
        }
        if (remaining == 0) return "0s";
        double elapsed = (clockMillis.getAsLong() - startedAt) / 1000.0;
        if (epochsTrained == 0 || elapsed <= 0) return "--";
        return duration(remaining * elapsed / epochsTrained);
    }

    private String bar() {
        int width = 28;
        int filled = labels.length == 0 ? width : (int) Math.round(width * (double) done() / labels.length);
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] ";
    }

    /** Nothing started for a minute: the cluster probably cannot grant what the tasks ask for. */
    static final long STARVED_MILLIS = 60_000;

    void tick() {
        String hint = null;
        synchronized (this) {
            if (!anyStarted && !hinted && clockMillis.getAsLong() - startedAt >= STARVED_MILLIS) {
                hinted = true;
                hint = "no run has started after " + duration(STARVED_MILLIS / 1000.0) + ": the cluster may lack what"
                        + " the tasks ask for (executors, cores, memory, or GPUs: spark.task.resource.gpu.amount)";
            }
        }
        if (hint != null) print(hint);
        if (mode == Mode.BAR) {
            String line = bar() + statusLine();
            synchronized (out) {
                out.print("\r\033[2K" + line);
                out.flush();
            }
        } else if (mode == Mode.LOG && clockMillis.getAsLong() - lastLogAt >= logEveryMillis) {
            lastLogAt = clockMillis.getAsLong();
            print(title + ": " + statusLine());
        }
    }

    private void print(String line) {
        synchronized (out) {
            out.print(mode == Mode.BAR ? "\r\033[2K" + line + "\n" : line + "\n");
            out.flush();
        }
    }

    /** Stops redrawing and leaves a final status line. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (renderer != null) {
            renderer.interrupt();
            try {
                renderer.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (mode == Mode.BAR) print(bar() + statusLine());
        else if (mode == Mode.LOG) print(title + ": " + statusLine());
    }

    /** 3.2s, 4m05s, 2h03m, 3d04h. */
    public static String duration(double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) return "--";
        if (seconds < 60) return String.format(Locale.ROOT, "%.1fs", seconds);
        long s = Math.round(seconds);
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        if (s < 86400) return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
        return String.format(Locale.ROOT, "%dd%02dh", s / 86400, (s % 86400) / 3600);
    }

    /** BAR when standard output is a terminal, LOG otherwise. */
    public static Mode detect() { return System.console() != null ? Mode.BAR : Mode.LOG; }

    /** Labels of the runs, for tests and the summary. */
    List<String> labels() { return new ArrayList<>(List.of(labels)); }
}
