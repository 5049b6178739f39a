package io.tiebreak.jobs.gridjob;

import io.tiebreak.jobs.fs.HadoopFs;
import io.tiebreak.jobs.grid.Grid;
import io.tiebreak.jobs.grid.GridParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import scala.Tuple2;

/**
 * Reads a grid file before any SparkSession exists (the grid decides settings the session starts with, such as GPU
 * requests): local paths directly, other file systems through Hadoop with the spark.hadoop.* settings given.
 */
public final class GridFiles {
    private GridFiles() {}

    static final long MAX_GRID_BYTES = 4L << 20;

    public static Grid read(String file, List<String> sets, GridParser.Purpose purpose) throws IOException {
        Configuration conf = new Configuration();
        for (Tuple2<String, String> e : new SparkConf(true).getAllWithPrefix("spark.hadoop.")) conf.set(e._1(), e._2());
        byte[] bytes = HadoopFs.readAll(HadoopFs.path(file), conf, MAX_GRID_BYTES);
        return GridParser.parse(file, new String(bytes, StandardCharsets.UTF_8), sets, purpose);
    }
}
