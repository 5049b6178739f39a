package io.tiebreak.jobs.zones;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tiebreak.runtime.data.InMemoryImages;
import io.tiebreak.runtime.data.Normalization;
import io.tiebreak.runtime.random.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MinibatchesTest {
    /** 50 one-pixel samples: sample s has pixel value s and label s % 10. */
    private static final InMemoryImages DATA;

    static {
        byte[] px = new byte[50];
        int[] labels = new int[50];
        for (int s = 0; s < 50; s++) {
            px[s] = (byte) s;
            labels[s] = s % 10;
        }
        DATA = new InMemoryImages(1, 1, 1, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), px, labels);
    }

    /** The samples of minibatches [from, to), by their pixel value (ToTensor only: mean 0, std 1/255). */
    private static List<int[]> samples(long seed, int from, int to) {
        List<int[]> out = new ArrayList<>();
        Minibatches.forRange(DATA, seed, 8, new Normalization(new double[] {0}, new double[] {1 / 255.0}), from, to,
                (i, x, labels) -> {
                    assertEquals(from + out.size(), i);
                    int[] ids = new int[x.length];
                    for (int k = 0; k < x.length; k++) {
                        ids[k] = Math.round(x[k]);
                        assertEquals(ids[k] % 10, labels[k]);
                    }
                    out.add(ids);
                });
        return out;
    }

    @Test
    void minibatchIIsTheIthBatchOfTheFirstTrainingEpochsOrderWhateverTheRange() {
        int[] order = Rng.of(3, "shuffle").permutation(50); // the Trainer's first epoch with seed 3
        List<int[]> all = samples(3, 0, 6);
        assertEquals(6, all.size(), "only full batches: 50 samples make 6 of 8");
        for (int i = 0; i < 6; i++) assertArrayEquals(Arrays.copyOfRange(order, 8 * i, 8 * i + 8), all.get(i));
        List<int[]> middle = samples(3, 2, 5);
        for (int i = 0; i < 3; i++) assertArrayEquals(all.get(i + 2), middle.get(i));
        assertEquals(false, Arrays.equals(all.get(0), samples(4, 0, 1).get(0)), "another seed, another order");
        assertThrows(IllegalArgumentException.class, () -> samples(3, 5, 7));
    }
}
