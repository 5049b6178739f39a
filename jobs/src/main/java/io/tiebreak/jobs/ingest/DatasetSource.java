package io.tiebreak.jobs.ingest;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;

/** A published dataset format: planned on the driver from headers, sizes and listings, read by tasks. */
interface DatasetSource {
    SourcePlan plan(Configuration conf) throws IOException;
}
