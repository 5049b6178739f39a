package io.tiebreak.jobs.ingest;

import java.io.IOException;
import java.io.Serializable;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;

/** A piece of a published dataset that one Spark task reads: a file, an archive, or a list of images. */
public interface SourcePart extends Serializable {
    /** The split every sample of this part belongs to. */
    String split();

    /** What it reads, for messages (paths already free of credentials). */
    String describe();

    /** Opens the part on an executor; unreadable samples that may be skipped are reported to skipped. */
    SampleIterator open(Configuration conf, Consumer<SkippedSample> skipped) throws IOException;
}
