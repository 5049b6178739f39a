package io.tiebreak.runtime.jacobian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** One parser for every spelling of a pool policy, and one canonical text that reads back as the same policy. */
class PoolPolicyTest {
    private static final PoolPolicy COMPOSITE_1000 = PoolPolicy.beta(1000, PoolPolicy.Form.COMPOSITE);

    @Test
    void everySpellingOfGridsFlagsAndRowsParses() {
        assertEquals(PoolPolicy.FIRST, PoolPolicy.parse(" First "));
        assertEquals(PoolPolicy.MIN_NORM, PoolPolicy.parse("min-norm"));
        assertEquals(PoolPolicy.beta(1000, PoolPolicy.Form.EXACT), PoolPolicy.parse("beta:1000"));
        assertEquals(PoolPolicy.beta(1000, PoolPolicy.Form.EXACT), PoolPolicy.parse("1e3"), "a bare B is beta:B");
        assertEquals(PoolPolicy.beta(1000, PoolPolicy.Form.EXACT), PoolPolicy.parse("beta:1000/exact"));
        assertEquals(COMPOSITE_1000, PoolPolicy.parse("1000/composite"));
        assertEquals(COMPOSITE_1000, PoolPolicy.parse("beta:1000", PoolPolicy.Form.COMPOSITE));
        assertEquals(PoolPolicy.beta(-0.5, PoolPolicy.Form.EXACT), PoolPolicy.parse("-0.5"));
    }

    @Test
    void theIdReadsBackAsTheSamePolicy() {
        for (PoolPolicy p : List.of(PoolPolicy.FIRST, PoolPolicy.LAST, PoolPolicy.MIN_NORM, PoolPolicy.ALL,
                PoolPolicy.beta(0, PoolPolicy.Form.EXACT), COMPOSITE_1000, PoolPolicy.beta(0.25, PoolPolicy.Form.COMPOSITE),
                PoolPolicy.beta(1e20, PoolPolicy.Form.EXACT))) {
            assertEquals(p, PoolPolicy.parse(p.id()), p.id());
        }
        assertEquals("beta:1000/composite", COMPOSITE_1000.id());
        assertEquals("beta:1000", COMPOSITE_1000.name(), "the runs table's pool column: the policy without its form");
        assertEquals("min-norm", PoolPolicy.MIN_NORM.id());
    }

    @Test
    void badSpellingsSayWhatWasExpected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PoolPolicy.parse("median"));
        assertTrue(e.getMessage().startsWith("unknown pool policy 'median'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PoolPolicy.parse("beta:x"));
        assertTrue(e.getMessage().startsWith("bad beta in pool policy 'beta:x'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PoolPolicy.parse("first/composite"));
        assertTrue(e.getMessage().contains("the composite form exists only for beta:B"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PoolPolicy.parse("beta:1/fused"));
        assertTrue(e.getMessage().startsWith("unknown pool form 'fused'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PoolPolicy.parse("beta:NaN"));
    }
}
