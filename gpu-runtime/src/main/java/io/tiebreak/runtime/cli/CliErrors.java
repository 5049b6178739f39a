package io.tiebreak.runtime.cli;

import picocli.CommandLine;

/**
 * Exit codes and error printing of the runtime jar's command line: a user error (bad flag, bad file) prints one clear
 * message and exits 2; an unexpected failure prints its message and cause chain and exits 1. Never a bare stack
 * trace for a user error. Set TIEBREAK_DEBUG=1 for stack traces. (The jobs keep their own, with the same codes, in
 * jobs/errors: they stand on the runtime, not on its command line.)
 */
public final class CliErrors {
    private CliErrors() {}

    public static final int USER_ERROR = 2;
    public static final int FAILURE = 1;
    /** A GPU was asked for and none can be used here (same code as the self-test's). */
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
            if (ex instanceof io.tiebreak.runtime.backend.cuda.CudaUnavailableException) {
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

    /** An error in what the user supplied (file, flag, grid): printed as its message alone. */
    public static class UserError extends RuntimeException {
        public UserError(String message) { super(message); }
        public UserError(String message, Throwable cause) { super(message, cause); }
    }
}
