package io.tiebreak.runtime.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tiebreak.runtime.precision.Half;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.tensor.Shapes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header mapping
 * each tensor name to {dtype, shape, data_offsets} plus an optional "__metadata__" string map, then the raw
 * little-endian data. PyTorch and NumPy users open our checkpoints and gradient files with it.
 *
 * <p>Reading validates everything a corrupt or foreign file can get wrong and names the file and the tensor.
 */
public final class Safetensors {
    private Safetensors() {}

    /** Header sizes above this are rejected before allocating (the reference implementation uses 100 MB). */
    static final long MAX_HEADER = 100_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Element types we read and write. */
    public enum Dtype {
        F16(2), F32(4), F64(8), I64(8), I32(4), U8(1);

        final int bytes;

        Dtype(int bytes) { this.bytes = bytes; }

        public int bytes() { return bytes; }

        /** The dtype a tensor of the given precision is stored as (mixed keeps binary32 master weights). */
        public static Dtype of(Precision p) {
            switch (p.valueFormat()) {
                case HALF: return F16;
                case SINGLE: return F32;
                default: return F64;
            }
        }
    }

    /** One tensor read from a file: its dtype, shape and raw little-endian bytes. */
    public record Entry(String name, Dtype dtype, int[] shape, ByteBuffer data) {
        public int size() { return Shapes.size(shape); }

        /** Values widened exactly to binary64 (integers must fit in 53 bits). */
        public double[] toDoubles() {
            int n = size();
            double[] out = new double[n];
            ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                switch (dtype) {
                    case F16: out[i] = Half.fromBits(b.getShort()); break;
                    case F32: out[i] = b.getFloat(); break;
                    case F64: out[i] = b.getDouble(); break;
                    case I64: out[i] = b.getLong(); break;
                    case I32: out[i] = b.getInt(); break;
                    default: out[i] = b.get() & 0xff; break;
                }
            }
            return out;
        }

        /** Integer values (I64, I32, U8 only). */
        public long[] toLongs() {
            if (dtype == Dtype.F16 || dtype == Dtype.F32 || dtype == Dtype.F64) {
                throw new IllegalArgumentException("tensor '" + name + "' is " + dtype + ", expected an integer dtype");
            }
            double[] d = toDoubles();
            long[] out = new long[d.length];
            for (int i = 0; i < d.length; i++) out[i] = (long) d[i];
            return out;
        }
    }

    /** A parsed file: tensors in file order and the metadata map. */
    public record Contents(String source, Map<String, Entry> tensors, Map<String, String> metadata) {
        /** The tensor with this name, or an error naming the file and what it does contain. */
        public Entry require(String name) {
            Entry e = tensors.get(name);
            if (e == null) {
                throw new IllegalArgumentException(source + ": no tensor named '" + name + "' (has " + tensors.keySet() + ")");
            }
            return e;
        }

        /** Fails unless the tensor has exactly this shape. */
        public Entry require(String name, int... shape) {
            Entry e = require(name);
            if (!java.util.Arrays.equals(e.shape(), shape)) {
                throw new IllegalArgumentException(source + ": tensor '" + name + "' has shape " + Shapes.str(e.shape())
                        + ", expected " + Shapes.str(shape));
            }
            return e;
        }

        public String requireMetadata(String key) {
            String v = metadata.get(key);
            if (v == null) throw new IllegalArgumentException(source + ": metadata has no '" + key + "'");
            return v;
        }
    }

    // ---- reading ---------------------------------------------------------------------------------------------

    /** Parses a whole file; source names it in errors. */
    public static Contents read(byte[] file, String source) {
        if (file.length < 8) {
            throw new IllegalArgumentException(source + ": " + file.length + " bytes, too short for a safetensors header"
                    + " (8-byte length expected at offset 0)");
        }
        long headerLen = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > file.length - 8L) {
            throw new IllegalArgumentException(source + ": header length " + headerLen + " at offset 0 runs past the end"
                    + " of the " + file.length + "-byte file (or is outside 2.." + MAX_HEADER + ")");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(file, 8, (int) headerLen, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": header (offsets 8.." + (8 + headerLen) + ") is not valid JSON: "
                    + e.getOriginalMessage());
        }
        if (header == null || !header.isObject()) throw new IllegalArgumentException(source + ": header is not a JSON object");
        int dataStart = (int) (8 + headerLen);
        long dataLen = file.length - dataStart;
        Map<String, Entry> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw new IllegalArgumentException(source + ": __metadata__ is not an object");
                v.fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) {
                        throw new IllegalArgumentException(source + ": metadata '" + m.getKey() + "' is not a string");
                    }
                    metadata.put(m.getKey(), m.getValue().asText());
                });
                continue;
            }
            tensors.put(name, parseEntry(source, name, v, file, dataStart, dataLen, ranges));
        }
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        long end = 0;
        for (long[] r : ranges) {
            if (r[0] < end) throw new IllegalArgumentException(source + ": tensor data ranges overlap at data offset " + r[0]);
            end = r[1];
        }
        return new Contents(source, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static Entry parseEntry(String source, String name, JsonNode v, byte[] file, int dataStart, long dataLen,
                                    List<long[]> ranges) {
        String where = source + ": tensor '" + name + "'";
        if (!v.isObject()) throw new IllegalArgumentException(where + ": expected an object with dtype, shape, data_offsets");
        Dtype dtype;
        try {
            dtype = Dtype.valueOf(v.path("dtype").asText(""));
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(where + ": unsupported dtype '" + v.path("dtype").asText() + "' (expected one of"
                    + " F16, F32, F64, I64, I32, U8)");
        }
        JsonNode shapeNode = v.path("shape"), off = v.path("data_offsets");
        if (!shapeNode.isArray()) throw new IllegalArgumentException(where + ": shape is not an array");
        int[] shape = new int[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToInt() || d.asInt() < 0) throw new IllegalArgumentException(where + ": bad dimension " + d);
            shape[i] = d.asInt();
        }
        if (!off.isArray() || off.size() != 2 || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
            throw new IllegalArgumentException(where + ": data_offsets must be [begin, end]");
        }
        long begin = off.get(0).asLong(), end = off.get(1).asLong();
        long expected = (long) Shapes.size(shape) * dtype.bytes;
        if (begin < 0 || end < begin || end > dataLen) {
            throw new IllegalArgumentException(where + ": data_offsets [" + begin + ", " + end + "] fall outside the "
                    + dataLen + " data bytes (file truncated?)");
        }
        if (end - begin != expected) {
            throw new IllegalArgumentException(where + ": holds " + (end - begin) + " bytes, but " + dtype + " "
                    + Shapes.str(shape) + " needs " + expected);
        }
        ranges.add(new long[] {begin, end});
        ByteBuffer data = ByteBuffer.wrap(file, (int) (dataStart + begin), (int) (end - begin)).slice();
        return new Entry(name, dtype, shape, data.order(ByteOrder.LITTLE_ENDIAN));
    }

    // ---- writing ---------------------------------------------------------------------------------------------

    /** values as the file stores them: little-endian, dtype's width (values exactly representable in dtype). */
    public static byte[] encode(Dtype dtype, double[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            switch (dtype) {
                case F16: b.putShort(Half.toBits((float) v)); break;
                case F32: b.putFloat((float) v); break;
                case F64: b.putDouble(v); break;
                case I64: b.putLong((long) v); break;
                case I32: b.putInt((int) v); break;
                default: b.put((byte) v); break;
            }
        }
        return b.array();
    }

    /** Collects tensors and metadata, then lays out one file. */
    public static final class Writer {
        private final Map<String, Object[]> tensors = new LinkedHashMap<>(); // name -> {dtype, shape, bytes}
        private final Map<String, String> metadata = new LinkedHashMap<>();

        /** Adds values (exactly representable in dtype: binary16 values for F16, integers for I64/I32/U8). */
        public Writer add(String name, Dtype dtype, int[] shape, double[] values) {
            if (values.length != Shapes.size(shape)) {
                throw new IllegalArgumentException("tensor '" + name + "': " + values.length + " values for shape " + Shapes.str(shape));
            }
            if (tensors.put(name, new Object[] {dtype, shape.clone(), encode(dtype, values)}) != null) {
                throw new IllegalArgumentException("tensor '" + name + "' added twice");
            }
            return this;
        }

        public Writer metadata(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        /** The file's bytes: header padded with spaces to a multiple of 8, then data in insertion order. */
        public byte[] toBytes() {
            ObjectNode header = JSON.createObjectNode();
            if (!metadata.isEmpty()) {
                ObjectNode m = header.putObject("__metadata__");
                metadata.forEach(m::put);
            }
            long offset = 0;
            for (Map.Entry<String, Object[]> e : tensors.entrySet()) {
                Object[] t = e.getValue();
                ObjectNode n = header.putObject(e.getKey());
                n.put("dtype", t[0].toString());
                var shape = n.putArray("shape");
                for (int d : (int[]) t[1]) shape.add(d);
                long len = ((byte[]) t[2]).length;
                n.putArray("data_offsets").add(offset).add(offset + len);
                offset += len;
            }
            byte[] json;
            try {
                json = JSON.writeValueAsBytes(header);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            int padded = (json.length + 7) & ~7;
            ByteBuffer out = ByteBuffer.allocate((int) (8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
            out.putLong(padded).put(json);
            for (int i = json.length; i < padded; i++) out.put((byte) ' ');
            for (Object[] t : tensors.values()) out.put((byte[]) t[2]);
            return out.array();
        }
    }
}
