package io.tiebreak.jobs.ingest;

import java.io.Serializable;

/** A sample left out of the output because its source could not be decoded (listed in the manifest). */
public record SkippedSample(String split, long index, String source, String reason) implements Serializable {}
