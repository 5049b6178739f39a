package io.tiebreak.jobs.results;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.apache.spark.sql.Row;

/**
 * Writes a wave's rows as one Parquet data file of an Iceberg table, on the driver: a wave is a few hundred rows at
 * most, so it needs no Spark job and no task slot (a commit never waits behind training tasks). Rows are matched to
 * the table's columns by name; a column the rows lack (added since by schema evolution) is null.
 */
final class IcebergRows {
    private IcebergRows() {}

    /** The rows as a new data file under the table's data folder, not yet part of any snapshot. */
    static DataFile write(Table table, List<Row> rows) {
        Schema schema = table.schema();
        String name = FileFormat.PARQUET.addExtension(String.format("%013d-%s", System.currentTimeMillis(), UUID.randomUUID()));
        OutputFile out = table.io().newOutputFile(table.locationProvider().newDataLocation(name));
        try {
            DataWriter<Record> writer = Parquet.writeData(out).schema(schema).createWriterFunc(GenericParquetWriter::create)
                    .withSpec(table.spec()).overwrite().build();
            try (writer) {
                for (Row r : rows) writer.write(record(schema, r));
            }
            return writer.toDataFile();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a data file of " + table.name(), e);
        }
    }

    static Record record(Schema schema, Row row) {
        GenericRecord rec = GenericRecord.create(schema);
        List<String> names = List.of(row.schema().fieldNames());
        for (Types.NestedField f : schema.columns()) {
            int i = names.indexOf(f.name());
            rec.setField(f.name(), i < 0 || row.isNullAt(i) ? null : value(f.type(), row.get(i)));
        }
        return rec;
    }

    /** A Spark value as Iceberg's generic form of the column's type. */
    private static Object value(Type type, Object v) {
        if (v == null) return null;
        switch (type.typeId()) {
            case LONG: return ((Number) v).longValue();
            case INTEGER: return ((Number) v).intValue();
            case DOUBLE: return ((Number) v).doubleValue();
            case FLOAT: return ((Number) v).floatValue();
            case TIMESTAMP: {
                Instant t = v instanceof java.sql.Timestamp ts ? ts.toInstant() : (Instant) v;
                return ((Types.TimestampType) type).shouldAdjustToUTC()
                        ? OffsetDateTime.ofInstant(t, ZoneOffset.UTC) : t.atOffset(ZoneOffset.UTC).toLocalDateTime();
            }
            case LIST: {
                Type element = type.asListType().elementType();
                List<Object> out = new ArrayList<>();
                if (v instanceof scala.collection.Seq<?> seq) {
                    scala.collection.Iterator<?> it = seq.iterator();
                    while (it.hasNext()) out.add(value(element, it.next()));
                } else {
                    for (Object o : (List<?>) v) out.add(value(element, o));
                }
                return out;
            }
            default: return v;
        }
    }
}
