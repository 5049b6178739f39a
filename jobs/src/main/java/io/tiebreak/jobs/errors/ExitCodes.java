package io.tiebreak.jobs.errors;

import io.tiebreak.runtime.backend.cuda.CudaUnavailableException;
import picocli.CommandLine;

/**
 * The exit codes of the {@code tiebreak} command line, and how exceptions map to them: a user error (bad flag, bad
 * file, bad grid) prints one clear line and exits 2; an unexpected failure prints its message and cause chain and
 * exits 1. Never a bare stack trace for a user error, and never the whole usage for one bad flag: a flag picocli
 * cannot take (unknown option, wrong type, value out of range, missing) is one line naming it, ending with where the
 * help is. Set TIEBREAK_DEBUG=1 for stack traces. The contract: docs/design.md, "Exit codes and bad input".
 */
public final class ExitCodes {
    private ExitCodes() {}

    public static final int USER_ERROR = 2;
    public static final int FAILURE = 1;
    /** A GPU was asked for and none can be used here (the runtime self-test's code too). */
    public static final int NO_GPU = 3;

    /** Runs the command line and maps exceptions to exit codes. */
    public static int execute(CommandLine cl, String[] args) {
        cl.setParameterExceptionHandler(ExitCodes::badFlag);
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

    /**
     * The end of a job whose runs or tasks may fail or meet bad input (sweep, lr-search, zones): bad input they met
     * (one line per distinct problem, naming the file) is exit 2, whatever else happened; otherwise failures (what to
     * say of them, or null) are exit 1; otherwise 0, diverged runs included.
     */
    public static int ofJob(java.util.List<String> badInput, String failures, java.io.PrintWriter err) {
        for (String line : badInput) err.println("error: " + line);
        if (failures != null) err.println("error: " + failures);
        if (!badInput.isEmpty()) {
            err.println("error: what met bad input was skipped and nothing was written for it; mend the input named"
                    + " above and run again");
        }
        err.flush();
        return !badInput.isEmpty() ? USER_ERROR : failures != null ? FAILURE : 0;
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
}
