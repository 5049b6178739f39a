package io.tiebreak.jobs.ingest;

import io.tiebreak.jobs.errors.UserError;

/** Errors in a dataset file: they name the file, the byte offset or entry, and what was expected. */
final class BadInput {
    private BadInput() {}

    static UserError at(String source, long offset, String what) {
        return new UserError(source + " at byte " + offset + ": " + what);
    }

    static UserError in(String source, String what) {
        return new UserError(source + ": " + what);
    }

    static UserError in(String source, String what, Throwable cause) {
        return new UserError(source + ": " + what, cause);
    }
}
