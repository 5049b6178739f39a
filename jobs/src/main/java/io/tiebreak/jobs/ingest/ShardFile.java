package io.tiebreak.jobs.ingest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;

/**
 * Decodes one Parquet shard, held whole in memory, into arrays. Shards are read in one piece (one GET on S3, and the
 * checksum is checked on the same bytes), then parsed without Spark: executors' training tasks use this.
 */
public final class ShardFile {
    private ShardFile() {}

    /** A decoded shard: rows in file order (ascending index), pixels[i * C*H*W ...]. */
    public record Contents(String split, int channels, int height, int width, long[] index, int[] label,
                           byte[] pixels) {
        public int rows() { return index.length; }
        public int pixelsPerSample() { return channels * height * width; }
    }

    /**
     * Parses a shard. name is used in errors. Every row must belong to the same split and have the same shape, and
     * indexes must ascend strictly; maxPixelBytes bounds the pixel array allocated.
     */
    public static Contents read(byte[] bytes, String name, long maxPixelBytes) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(new BytesInputFile(bytes), ParquetReadOptions.builder().build())) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            DatasetSchema.check(schema, name);
            long rows = reader.getRecordCount();
            if (rows > Integer.MAX_VALUE) throw BadInput.in(name, rows + " rows, more than one shard may hold");
            long[] index = new long[(int) rows];
            int[] label = new int[(int) rows];
            byte[] pixels = null;
            String split = null;
            int c = 0, h = 0, w = 0, per = 0, row = 0;
            PageReadStore pages;
            while ((pages = reader.readNextRowGroup()) != null) {
                RecordReader<Group> records = new ColumnIOFactory().getColumnIO(schema)
                        .getRecordReader(pages, new GroupRecordConverter(schema));
                for (long i = 0; i < pages.getRowCount(); i++, row++) {
                    Group g = records.read();
                    if (pixels == null) {
                        split = g.getString(DatasetSchema.SPLIT, 0);
                        c = g.getInteger(DatasetSchema.CHANNELS, 0);
                        h = g.getInteger(DatasetSchema.HEIGHT, 0);
                        w = g.getInteger(DatasetSchema.WIDTH, 0);
                        per = c * h * w;
                        if (c <= 0 || h <= 0 || w <= 0 || (long) per * rows > maxPixelBytes) {
                            throw BadInput.in(name, "row 0 declares " + c + "x" + h + "x" + w + " pixels for " + rows
                                    + " rows: not a shape this reader takes (at most " + maxPixelBytes + " bytes)");
                        }
                        pixels = new byte[per * (int) rows];
                    } else if (!split.equals(g.getString(DatasetSchema.SPLIT, 0)) || c != g.getInteger(DatasetSchema.CHANNELS, 0)
                            || h != g.getInteger(DatasetSchema.HEIGHT, 0) || w != g.getInteger(DatasetSchema.WIDTH, 0)) {
                        throw BadInput.in(name, "row " + row + " differs from row 0 in split or shape");
                    }
                    index[row] = g.getLong(DatasetSchema.INDEX, 0);
                    if (row > 0 && index[row] <= index[row - 1]) {
                        throw BadInput.in(name, "row " + row + " has index " + index[row] + " after " + index[row - 1]
                                + ", expected ascending indexes");
                    }
                    label[row] = g.getInteger(DatasetSchema.LABEL, 0);
                    byte[] px = g.getBinary(DatasetSchema.PIXELS, 0).getBytesUnsafe();
                    if (px.length != per) {
                        throw BadInput.in(name, "row " + row + " holds " + px.length + " pixel bytes, expected " + per);
                    }
                    System.arraycopy(px, 0, pixels, row * per, per);
                }
            }
            if (row != rows) throw BadInput.in(name, "footer says " + rows + " rows, found " + row);
            return new Contents(split, c, h, w, index, label, pixels == null ? new byte[0] : pixels);
        } catch (RuntimeException e) {
            if (e instanceof io.tiebreak.jobs.errors.UserError) throw e;
            throw BadInput.in(name, "not a readable Parquet shard (" + e + ")", e);
        } catch (IOException e) {
            throw BadInput.in(name, "not a readable Parquet shard (" + e.getMessage() + ")", e);
        }
    }

    /** A Parquet InputFile over bytes already in memory. */
    private static final class BytesInputFile implements InputFile {
        private final byte[] bytes;

        BytesInputFile(byte[] bytes) { this.bytes = bytes; }

        @Override public long getLength() { return bytes.length; }

        @Override
        public SeekableInputStream newStream() {
            SeekableBytes in = new SeekableBytes(bytes);
            return new DelegatingSeekableInputStream(in) {
                @Override public long getPos() { return in.position(); }
                @Override public void seek(long pos) { in.seek(pos); }
            };
        }
    }

    private static final class SeekableBytes extends ByteArrayInputStream {
        SeekableBytes(byte[] b) { super(b); }
        int position() { return pos; }
        void seek(long p) {
            if (p < 0 || p > count) throw new IllegalArgumentException("seek to " + p + " outside [0, " + count + "]");
            pos = (int) p;
        }
    }
}
