package io.tiebreak.jobs.ingest;

import java.util.List;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The layout every ingested dataset has: one Parquet row per sample. Declared here once; the writer builds rows
 * with {@link #row} and the reader checks files with {@link #check}.
 */
public final class DatasetSchema {
    private DatasetSchema() {}

    public static final String SPLIT = "split";
    /** Position of the sample in the published files of its split: stable across re-ingests. */
    public static final String INDEX = "index";
    public static final String LABEL = "label";
    public static final String CLASS_NAME = "class_name";
    public static final String HEIGHT = "height";
    public static final String WIDTH = "width";
    public static final String CHANNELS = "channels";
    /** C x H x W bytes, channel-major. */
    public static final String PIXELS = "pixels";

    public static final StructType SPARK = new StructType()
            .add(SPLIT, DataTypes.StringType, false)
            .add(INDEX, DataTypes.LongType, false)
            .add(LABEL, DataTypes.IntegerType, false)
            .add(CLASS_NAME, DataTypes.StringType, false)
            .add(HEIGHT, DataTypes.IntegerType, false)
            .add(WIDTH, DataTypes.IntegerType, false)
            .add(CHANNELS, DataTypes.IntegerType, false)
            .add(PIXELS, DataTypes.BinaryType, false);

    /** The Parquet physical type Spark writes for each column, in order. */
    private static final List<PrimitiveTypeName> PHYSICAL = List.of(PrimitiveTypeName.BINARY, PrimitiveTypeName.INT64,
            PrimitiveTypeName.INT32, PrimitiveTypeName.BINARY, PrimitiveTypeName.INT32, PrimitiveTypeName.INT32,
            PrimitiveTypeName.INT32, PrimitiveTypeName.BINARY);

    public static Row row(String split, Sample s, String className, int height, int width, int channels) {
        return RowFactory.create(split, s.index(), s.label(), className, height, width, channels, s.pixels());
    }

    /** Throws, naming the file and column, unless the Parquet file has this schema's columns with their types. */
    public static void check(MessageType schema, String file) {
        String[] names = SPARK.fieldNames();
        for (int i = 0; i < names.length; i++) {
            if (!schema.containsField(names[i])) {
                throw BadInput.in(file, "no column '" + names[i] + "', expected the columns " + List.of(names));
            }
            Type t = schema.getType(names[i]);
            if (!t.isPrimitive() || t.asPrimitiveType().getPrimitiveTypeName() != PHYSICAL.get(i)) {
                throw BadInput.in(file, "column '" + names[i] + "' is " + t + ", expected " + PHYSICAL.get(i));
            }
        }
    }
}
