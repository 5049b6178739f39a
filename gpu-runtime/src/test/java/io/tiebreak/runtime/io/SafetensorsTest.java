package io.tiebreak.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The safetensors layout, and a clear error for every way a file can be broken. */
class SafetensorsTest {

    private static byte[] sample() {
        return new Safetensors.Writer()
                .add("w", Safetensors.Dtype.F16, new int[] {2, 2}, new double[] {1, -0.5, 65504, 0x1p-24})
                .add("b", Safetensors.Dtype.F64, new int[] {3}, new double[] {Math.PI, -0.0, 1e300})
                .add("labels", Safetensors.Dtype.I64, new int[] {2}, new double[] {7, 3})
                .metadata("epoch", "4")
                .toBytes();
    }

    @Test
    void writesTheDocumentedLayoutAndReadsItBack() {
        byte[] f = sample();
        long headerLen = ByteBuffer.wrap(f, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLen) % 8, "data starts 8-byte aligned");
        String header = new String(f, 8, (int) headerLen, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"w\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]}"), header);
        var c = Safetensors.read(f, "sample");
        assertArrayEquals(new double[] {1, -0.5, 65504, 0x1p-24}, c.require("w", 2, 2).toDoubles());
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(c.require("b").toDoubles()[1]));
        assertArrayEquals(new long[] {7, 3}, c.require("labels").toLongs());
        assertEquals("4", c.metadata().get("epoch"));
        assertEquals(0x3c00, ByteBuffer.wrap(f, 8 + (int) headerLen, 2).order(ByteOrder.LITTLE_ENDIAN).getShort(),
                "binary16 1.0 little-endian");
    }

    private static String error(byte[] f) {
        return assertThrows(IllegalArgumentException.class, () -> Safetensors.read(f, "bad.safetensors")).getMessage();
    }

    @Test
    void truncatedFiles() {
        byte[] f = sample();
        assertTrue(error(Arrays.copyOf(f, 5)).contains("too short"), error(Arrays.copyOf(f, 5)));
        String m = error(Arrays.copyOf(f, f.length - 3));
        assertTrue(m.contains("bad.safetensors") && m.contains("tensor 'labels'") && m.contains("truncated"), m);
    }

    @Test
    void headerLengthPastTheEnd() {
        byte[] f = sample();
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        String m = error(f);
        assertTrue(m.contains("header length 1099511627776") && m.contains("runs past the end"), m);
    }

    @Test
    void headerThatIsNotJson() {
        byte[] f = sample();
        f[8] = 'x';
        assertTrue(error(f).contains("not valid JSON"), error(f));
    }

    @Test
    void shapeThatDoesNotMatchTheBytes() {
        byte[] f = sample();
        String s = new String(f, StandardCharsets.ISO_8859_1).replace("\"shape\":[2,2]", "\"shape\":[2,3]");
        String m = error(s.getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(m.contains("tensor 'w'") && m.contains("needs 12"), m);
    }

    @Test
    void unknownDtype() {
        byte[] f = sample();
        String s = new String(f, StandardCharsets.ISO_8859_1).replace("\"F64\"", "\"C64\"");
        assertTrue(error(s.getBytes(StandardCharsets.ISO_8859_1)).contains("unsupported dtype 'C64'"));
    }

    @Test
    void missingTensorOrWrongShapeForTheModelNamesBoth() {
        var c = Safetensors.read(sample(), "weights.safetensors");
        String m = assertThrows(IllegalArgumentException.class, () -> c.require("conv1.weight")).getMessage();
        assertTrue(m.contains("weights.safetensors") && m.contains("conv1.weight"), m);
        m = assertThrows(IllegalArgumentException.class, () -> c.require("w", 4)).getMessage();
        assertTrue(m.contains("has shape [2,2], expected [4]"), m);
    }

    @Test
    void checkpointDtypeMustMatchThePrecision() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            Tensor t = cpu.zeros(Precision.FP32, 2, 2);
            var c = Safetensors.read(sample(), "ckpt.safetensors");
            String m = assertThrows(IllegalArgumentException.class, () -> TensorFiles.load(c, cpu, "w", t, true)).getMessage();
            assertTrue(m.contains("is F16, expected F32 for fp32"), m);
            TensorFiles.load(c, cpu, "w", t, false); // weights from elsewhere: converted
            assertArrayEquals(new double[] {1, -0.5, 65504, 0x1p-24}, cpu.download(t));
        }
    }
}
