package io.tiebreak.jobs.ingest;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/** Samples read lazily from a source part; closing releases its streams (also when the task fails half-way). */
public abstract class SampleIterator implements Iterator<Sample>, Closeable {
    private Sample next;
    private boolean done;

    /** The next sample, or null at the end. */
    protected abstract Sample readNext() throws IOException;

    @Override
    public final boolean hasNext() {
        if (next == null && !done) {
            try {
                next = readNext();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (next == null) {
                done = true;
                try {
                    close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return next != null;
    }

    @Override
    public final Sample next() {
        if (!hasNext()) throw new NoSuchElementException();
        Sample s = next;
        next = null;
        return s;
    }
}
