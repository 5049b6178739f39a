package io.tiebreak.jobs.gridjob;

import io.tiebreak.runtime.train.EpochMetrics;
import java.io.Serializable;

/**
 * A check run on the executor after each epoch of a run; it may stop the run early by throwing {@link Stop}
 * (lr-search's median pruning). The sweep's runs have none.
 */
public interface EpochGate extends Serializable {
    void afterEpoch(EpochMetrics m);

    EpochGate NONE = m -> { };

    /** Ends the run early, as a result (not a failure); the outcome's status is pruned. */
    final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Stop(String reason) { super(reason, null, false, false); }
    }
}
