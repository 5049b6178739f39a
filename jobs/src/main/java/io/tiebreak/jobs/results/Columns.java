package io.tiebreak.jobs.results;

import io.tiebreak.jobs.grid.RunSpec;
import io.tiebreak.jobs.grid.ZoneSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A table's columns, each with its value taken from the row's source object: the schema and the rows come from the
 * same list, so they cannot drift apart.
 */
public final class Columns<T> {

    record Column<T>(String name, DataType type, Function<T, Object> value) {}

    private final List<Column<T>> columns = new ArrayList<>();
    private StructType schema;

    Columns<T> add(String name, DataType type, Function<T, Object> value) {
        columns.add(new Column<>(name, type, value));
        return this;
    }

    /** Every config field of the run's spec (RunSpec.FIELDS), in order. */
    Columns<T> config(Function<T, RunSpec> spec) {
        for (RunSpec.Field f : RunSpec.FIELDS) add(f.name(), sparkType(f.kind()), t -> f.value().apply(spec.apply(t)));
        return this;
    }

    /** Every config field of a zones configuration (ZoneSpec.FIELDS), in order. */
    Columns<T> zoneConfig(Function<T, ZoneSpec> spec) {
        for (ZoneSpec.Field f : ZoneSpec.FIELDS) add(f.name(), sparkType(f.kind()), t -> f.value().apply(spec.apply(t)));
        return this;
    }

    public synchronized StructType schema() {
        if (schema != null) return schema;
        List<StructField> fields = new ArrayList<>();
        for (Column<T> c : columns) fields.add(DataTypes.createStructField(c.name(), c.type(), true));
        schema = DataTypes.createStructType(fields);
        return schema;
    }

    public Row row(T source) {
        Object[] values = new Object[columns.size()];
        for (int i = 0; i < values.length; i++) values[i] = columns.get(i).value().apply(source);
        return new GenericRowWithSchema(values, schema());
    }

    static DataType sparkType(RunSpec.Kind kind) {
        switch (kind) {
            case STRING: return DataTypes.StringType;
            case INT: return DataTypes.IntegerType;
            case LONG: return DataTypes.LongType;
            case DOUBLE: return DataTypes.DoubleType;
            case BOOLEAN: return DataTypes.BooleanType;
            case DOUBLE_LIST: return DataTypes.createArrayType(DataTypes.DoubleType, false);
            default: throw new AssertionError(kind);
        }
    }
}
