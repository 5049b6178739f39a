package io.tiebreak.jobs.results;

import io.tiebreak.jobs.fs.HadoopFs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Result folders of the layout before Iceberg (tiebreak 0.1 up to December 2026): each table a folder of waves
 * {@code <table>/wave-<millis>-<id>/}, one Spark write each, committed when its {@code _SUCCESS} marker exists. Such
 * a folder is read in place until a writing command (sweep, lr-search, zones, compact) imports its committed waves
 * into the table's Iceberg table; a wave without a marker is a write that died and is never read.
 *
 * <p>That layout numbered epochs from 0; its rows are read with the 1-based numbering of docs/design.md ("Epoch
 * numbers"): {@link #EPOCH_COLUMNS} gain 1.
 */
final class LegacyWaves {
    private LegacyWaves() {}

    static final String WAVE_PREFIX = "wave-";
    static final String SUCCESS = "_SUCCESS";

    /** Columns that held 0-based epoch numbers in the old layout. */
    static final List<String> EPOCH_COLUMNS = List.of("epoch", "diverged_epoch", "pruned_epoch", "weights_epoch");

    /**
     * Committed waves of a table folder, by name, oldest first. Object stores give them in one flat listing; elsewhere
     * only the table folder is listed, never inside a wave (a write under way has files under _temporary that come
     * and go while we list).
     */
    static List<Path> committed(Path tableDir, Configuration conf) throws IOException {
        FileSystem fs = tableDir.getFileSystem(conf);
        if (!fs.exists(tableDir)) return List.of();
        TreeSet<String> names = new TreeSet<>();
        if (HadoopFs.isObjectStore(tableDir, conf)) {
            for (FileStatus f : HadoopFs.listFilesRecursively(tableDir, conf)) {
                Path wave = f.getPath().getParent();
                if (f.getPath().getName().equals(SUCCESS) && wave.getName().startsWith(WAVE_PREFIX)
                        && wave.getParent().getName().equals(tableDir.getName())) {
                    names.add(wave.getName());
                }
            }
        } else {
            for (FileStatus wave : fs.listStatus(tableDir, p -> p.getName().startsWith(WAVE_PREFIX))) {
                if (wave.isDirectory() && fs.exists(new Path(wave.getPath(), SUCCESS))) names.add(wave.getPath().getName());
            }
        }
        List<Path> out = new ArrayList<>();
        for (String n : names) out.add(new Path(tableDir, n));
        return out;
    }

    /** The rows of the given waves, epochs renumbered from 1. */
    static Dataset<Row> read(SparkSession spark, Collection<Path> waves) {
        Dataset<Row> df = spark.read().option("mergeSchema", "true")
                .parquet(waves.stream().map(Path::toString).toArray(String[]::new));
        for (String c : EPOCH_COLUMNS) {
            if (List.of(df.columns()).contains(c)) df = df.withColumn(c, functions.col(c).plus(1));
        }
        return df;
    }

    /** Deletes wave folders (after their rows were imported); returns how many went. */
    static int delete(Collection<Path> waves, Configuration conf) {
        int n = 0;
        for (Path w : waves) if (HadoopFs.deleteQuietly(w, conf)) n++;
        return n;
    }
}
