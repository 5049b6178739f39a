package io.tiebreak.jobs.ingest;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;

/** A published dataset format: planned on the driver from headers, sizes and listings, read by tasks. */
interface DatasetSource {
    /** parallelism: the cluster's task slots, for sources whose parts can be cut to keep them all busy. */
    SourcePlan plan(Configuration conf, int parallelism) throws IOException;
}
