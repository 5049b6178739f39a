package io.tiebreak.jobs.errors;

import io.tiebreak.runtime.backend.cuda.CudaUnavailableException;
import picocli.CommandLine;

/**
 * The exit codes of the {@code tiebreak} command line, and how exceptions map to them: a user error (bad flag, bad
 * file, bad grid) prints one clear message and exits 2; an unexpected failure prints its message and cause chain and
 * exits 1. Never a bare stack trace for a user error. Set TIEBREAK_DEBUG=1 for stack traces.
 */
public final class ExitCodes {
    private ExitCodes() {}

    public static final int USER_ERROR = 2;
    public static final int FAILURE = 1;
    /** A GPU was asked for and none can be used here (the runtime self-test's code too). */
    public static final int NO_GPU = 3;

    /** Runs the command line and maps exceptions to exit codes. */
    public static int execute(CommandLine cl, String[] args) {
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean debug = System.getenv("TIEBREAK_DEBUG") != null;
            if (debug) ex.printStackTrace(commandLine.getErr());
            if (ex instanceof IllegalArgumentException || ex instanceof UserError
                    || ex instanceof java.nio.file.NoSuchFileException || ex instanceof java.io.FileNotFoundException) {
                commandLine.getErr().println("error: " + (ex instanceof java.nio.file.NoSuchFileException
                        ? "no such file: " + ex.getMessage() : ex.getMessage()));
                return USER_ERROR;
            }
            if (ex instanceof CudaUnavailableException) {
                commandLine.getErr().println("error: " + ex.getMessage());
                return NO_GPU;
            }
            StringBuilder msg = new StringBuilder("failed: " + firstLine(ex));
            for (Throwable c = ex.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
                msg.append("\n  caused by: ").append(firstLine(c));
            }
            commandLine.getErr().println(msg);
            return FAILURE;
        });
        return cl.execute(args);
    }

    /** Native libraries put whole stack traces in their messages: the first line says what happened. */
    private static String firstLine(Throwable t) {
        String s = t.toString();
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
