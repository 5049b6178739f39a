package io.tiebreak.jobs.grid;

import java.util.List;
import java.util.Optional;

/** The datasets a grid can name (ingested datasets under a data root). */
public interface DatasetCatalog {
    /** The dataset called name, if there is one. */
    Optional<DatasetInfo> find(String name);

    /** Every dataset name there is, for did-you-mean. */
    List<String> names();

    /** Where datasets are looked up, for error messages ("under /data/tiebreak"). */
    String location();
}
