package io.tiebreak.runtime.train;

/**
 * A checkpoint that cannot be resumed: unreadable, truncated, damaged, not a tiebreak checkpoint, or written for
 * another configuration. Bad input, not a failed run (docs/design.md, "Exit codes and bad input"): the message is one
 * line that starts with the checkpoint's path.
 */
public final class CheckpointException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String location, String what) {
        super(location + ": " + what);
    }

    public CheckpointException(String location, String what, Throwable cause) {
        super(location + ": " + what, cause);
    }
}
