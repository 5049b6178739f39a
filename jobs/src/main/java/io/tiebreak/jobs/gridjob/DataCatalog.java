package io.tiebreak.jobs.gridjob;

import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.fs.Redaction;
import io.tiebreak.jobs.grid.DatasetCatalog;
import io.tiebreak.jobs.grid.DatasetInfo;
import io.tiebreak.jobs.ingest.DatasetReader;
import io.tiebreak.jobs.ingest.IngestJob;
import io.tiebreak.jobs.ingest.Manifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * The ingested datasets under a data root: a grid's {@code dataset: fashion-mnist} is the folder
 * {@code <data root>/fashion-mnist} written by {@code tiebreak ingest}, described by its manifest.
 */
public final class DataCatalog implements DatasetCatalog {
    private final Path root;
    private final Configuration conf;
    private final Map<String, Optional<DatasetInfo>> cache = new ConcurrentHashMap<>();

    public DataCatalog(String root, Configuration conf) {
        this.root = HadoopFs.path(root);
        this.conf = conf;
    }

    /** The folder of a dataset, as executors open it. */
    public static String datasetPath(String root, String name) { return new Path(root, name).toString(); }

    @Override
    public Optional<DatasetInfo> find(String name) {
        return cache.computeIfAbsent(name, n -> {
            Path dir = new Path(root, n);
            try {
                if (!HadoopFs.exists(new Path(dir, IngestJob.MANIFEST), conf)) return Optional.empty();
                return Optional.of(info(n, DatasetReader.manifest(dir.toString(), conf)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the manifest of " + Redaction.uri(dir.toString()), e);
            }
        });
    }

    static DatasetInfo info(String name, Manifest m) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        m.splits().forEach((split, s) -> sizes.put(split, s.count()));
        Manifest.Split stats = m.splits().containsKey("train") ? m.split("train") : m.splits().values().iterator().next();
        return new DatasetInfo(name, m.channels(), m.height(), m.width(), m.classes(), sizes,
                stats.mean(), stats.std(), m.dataset() == null ? name : m.dataset());
    }

    @Override
    public List<String> names() {
        List<String> out = new ArrayList<>();
        try {
            for (FileStatus st : HadoopFs.children(root, conf)) {
                if (st.isDirectory() && HadoopFs.exists(new Path(st.getPath(), IngestJob.MANIFEST), conf)) {
                    out.add(st.getPath().getName());
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    @Override
    public String location() { return Redaction.uri(root.toString()); }
}
