package io.tiebreak.runtime.cli;

import picocli.CommandLine;

/**
 * Exit codes and error printing of the runtime jar's command line: a user error (bad flag, bad file) prints one clear
 * line and exits 2; an unexpected failure prints its message and cause chain and exits 1. Never a bare stack trace,
 * and never the whole usage for one bad flag: a flag picocli cannot take (unknown option, wrong type, value out of
 * range) is one line naming it, ending with where the help is. Set TIEBREAK_DEBUG=1 for stack traces. (The jobs keep
 * their own, with the same codes and the same handling, in jobs/errors: they stand on the runtime, not on its command
 * line.) The contract the codes follow: docs/design.md, "Exit codes and bad input".
 */
public final class CliErrors {
    private CliErrors() {}

    public static final int USER_ERROR = 2;
    public static final int FAILURE = 1;
    /** A GPU was asked for and none can be used here (same code as the self-test's). */
    public static final int NO_GPU = 3;

    /** Runs the command line and maps exceptions to exit codes. */
    public static int execute(CommandLine cl, String[] args) {
        cl.setParameterExceptionHandler(CliErrors::badFlag);
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

    /** A flag picocli could not take: its message (which names the flag), picocli's suggestion, and where help is. */
    private static int badFlag(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        if (System.getenv("TIEBREAK_DEBUG") != null) ex.printStackTrace(cl.getErr());
        StringBuilder line = new StringBuilder("error: ").append(firstLine(ex.getMessage()));
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            line.append(" (did you mean ").append(String.join(" or ", u.getSuggestions().stream()
                    .limit(3).map(s -> "'" + s + "'").toList())).append("?)");
        }
        line.append("; see '").append(cl.getCommandSpec().qualifiedName()).append(" --help'");
        cl.getErr().println(line);
        return USER_ERROR;
    }

    /** Native libraries put whole stack traces in their messages: the first line says what happened. */
    private static String firstLine(Throwable t) {
        return firstLine(t.toString());
    }

    private static String firstLine(String s) {
        int nl = s == null ? -1 : s.indexOf('\n');
        return nl < 0 ? String.valueOf(s) : s.substring(0, nl);
    }

    /** An error in what the user supplied (file, flag, grid): printed as its message alone. */
    public static class UserError extends RuntimeException {
        public UserError(String message) { super(message); }
        public UserError(String message, Throwable cause) { super(message, cause); }
    }
}
