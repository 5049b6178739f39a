package io.tiebreak.jobs.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DidYouMeanTest {
    @Test
    void suggestsTheClosestNameForTyposAndNothingForUnrelatedWords() {
        List<String> keys = List.of("optimizer", "precision", "epochs", "batch_size");
        assertEquals(Optional.of("optimizer"), DidYouMean.closest("optimiser", keys));
        assertEquals(Optional.of("epochs"), DidYouMean.closest("epcohs", keys));
        assertEquals(Optional.of("batch_size"), DidYouMean.closest("Batch_Size", keys));
        assertEquals(Optional.empty(), DidYouMean.closest("learning_rate", keys));
    }

    @Test
    void transpositionsCostOne() {
        assertEquals(1, DidYouMean.distance("ab", "ba"));
        assertEquals(3, DidYouMean.distance("kitten", "sitting"));
    }
}
