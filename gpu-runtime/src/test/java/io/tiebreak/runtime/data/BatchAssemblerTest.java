package io.tiebreak.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.random.Rng;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Normalization as torchvision's ToTensor + Normalize; random crop with zero padding and flip, seeded. */
class BatchAssemblerTest {

    @Test
    void normalizesInBinary32LikeTorchvision() {
        BatchAssembler a = new BatchAssembler(3, 1, 2, Normalization.cifar(), Augmentation.NONE);
        byte[] px = {0, (byte) 255, 10, 20, (byte) 128, 7};
        float[] out = new float[6];
        a.assemble(px, 1, null, out);
        float[] mean = {0.4914f, 0.4822f, 0.4465f}, std = {0.2023f, 0.1994f, 0.2010f};
        for (int i = 0; i < 6; i++) {
            int c = i / 2;
            assertEquals(((px[i] & 0xff) / 255f - mean[c]) / std[c], out[i], 0, "value " + i);
        }
    }

    @Test
    void cropsWithZeroPaddingAndFlipsDeterministically() {
        int size = 4;
        byte[] px = new byte[size * size];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i + 1);
        BatchAssembler a = new BatchAssembler(1, size, size, Normalization.half(1), new Augmentation(2, true));
        Set<String> seen = new HashSet<>();
        float zero = (0 - 0.5f) / 0.5f;
        for (int trial = 0; trial < 200; trial++) {
            float[] out = new float[size * size];
            a.assemble(px, 1, Rng.of(trial, "augment"), out);
            float[] again = new float[size * size];
            a.assemble(px, 1, Rng.of(trial, "augment"), again);
            assertArrayEquals(out, again, "same generator state, same crop");
            // Every output pixel is padding or a source pixel; each row of the source keeps its values' order or
            // reverses it (flip).
            for (float v : out) assertTrue(v == zero || Math.round((v * 0.5f + 0.5f) * 255) >= 1, "pixel " + v);
            seen.add(java.util.Arrays.toString(out));
        }
        assertTrue(seen.size() > 20, "offsets in [-2, 2]^2 and flips give many distinct crops: " + seen.size());
    }

    @Test
    void cropOffsetAndFlipMatchTorchvisionsOrder() {
        // RandomCrop then RandomHorizontalFlip: out(y, x) = src(y + dy, flip ? W-1-x + dx : x + dx).
        int size = 3;
        byte[] px = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        BatchAssembler a = new BatchAssembler(1, size, size, new Normalization(new double[] {0}, new double[] {1}),
                new Augmentation(1, true));
        Rng probe = Rng.of(42, "x");
        int dy = probe.nextInt(3) - 1, dx = probe.nextInt(3) - 1;
        boolean flip = probe.nextDouble() < 0.5;
        float[] out = new float[9];
        a.assemble(px, 1, Rng.of(42, "x"), out);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int sy = y + dy, sx = (flip ? size - 1 - x : x) + dx;
                float want = sy < 0 || sy >= size || sx < 0 || sx >= size ? 0 : px[sy * size + sx] / 255f;
                assertEquals(want, out[y * size + x], 0, "pixel " + y + "," + x);
            }
        }
    }
}
