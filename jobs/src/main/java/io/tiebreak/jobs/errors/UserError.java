package io.tiebreak.jobs.errors;

/**
 * An error in what the user supplied (a file, a flag, a grid, a dataset): the command prints its message alone, on
 * one line, and exits with {@link ExitCodes#USER_ERROR}.
 */
public class UserError extends RuntimeException {
    public UserError(String message) { super(message); }

    public UserError(String message, Throwable cause) { super(message, cause); }
}
