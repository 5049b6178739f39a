package io.tiebreak.runtime.cli;

import picocli.CommandLine;

/**
 * Exit codes and error printing shared by every command line (the runtime jar and the tiebreak jobs): a user error
 * (bad flag, bad file, bad grid) prints one clear message and exits 2; an unexpected failure prints its message and
 * cause chain and exits 1. Never a bare stack trace for a user error. Set TIEBREAK_DEBUG=1 for stack traces.
 */
public final class CliErrors {
    private CliErrors() {}

    public static final int USER_ERROR = 2;
    public static final int FAILURE = 1;

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
            StringBuilder msg = new StringBuilder("failed: " + ex);
            for (Throwable c = ex.getCause(); c != null && c != c.getCause(); c = c.getCause()) msg.append("\n  caused by: ").append(c);
            commandLine.getErr().println(msg);
            return FAILURE;
        });
        return cl.execute(args);
    }

    /** An error in what the user supplied (file, flag, grid): printed as its message alone. */
    public static class UserError extends RuntimeException {
        public UserError(String message) { super(message); }
        public UserError(String message, Throwable cause) { super(message, cause); }
    }
}
