package io.tiebreak.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LaunchTest {
    @Test
    void linearLaunchesOneThreadPerItemUpToTheGridCap() {
        assertEquals(new Launch(1, 1, 1, 256), Launch.linear(1));
        assertEquals(new Launch(4, 1, 1, 256), Launch.linear(1024));
        assertEquals(new Launch(5, 1, 1, 256), Launch.linear(1025));
        Launch huge = Launch.linear(1L << 40);
        assertEquals(Launch.MAX_LINEAR_GRID, huge.gridX(), "grid-stride loops cover the rest");
    }

    @Test
    void emptyAndInvalidLaunchesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Launch.linear(0));
        assertThrows(IllegalArgumentException.class, () -> new Launch(1, 70000, 1, 256));
        assertThrows(IllegalArgumentException.class, () -> new Launch(1, 1, 1, 2048));
    }
}
