package io.tiebreak.jobs.ingest;

import io.tiebreak.runtime.cli.CliErrors;

/** Errors in a dataset file: they name the file, the byte offset or entry, and what was expected. */
final class BadInput {
    private BadInput() {}

    static CliErrors.UserError at(String source, long offset, String what) {
        return new CliErrors.UserError(source + " at byte " + offset + ": " + what);
    }

    static CliErrors.UserError in(String source, String what) {
        return new CliErrors.UserError(source + ": " + what);
    }

    static CliErrors.UserError in(String source, String what, Throwable cause) {
        return new CliErrors.UserError(source + ": " + what, cause);
    }
}
