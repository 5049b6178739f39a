package io.tiebreak.jobs.lrsearch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.jobs.grid.LrSearchSettings;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SamplersTest {
    private static LrSearchSettings settings(LrSearchSettings.Sampler sampler) {
        return new LrSearchSettings(40, 1e-5, 1e-1, sampler, 5, true, 5, 0, 0, 7);
    }

    @Test
    void randomProposalsAreLogUniformInTheRangeAndReproducible() {
        LrSearchSettings s = settings(LrSearchSettings.Sampler.RANDOM);
        int[] decades = new int[4];
        for (int k = 0; k < 4000; k++) {
            double lr = Samplers.propose(s, "cfg", k, List.of());
            assertTrue(lr >= 1e-5 && lr <= 1e-1, "lr " + lr);
            decades[(int) Math.floor(Math.log10(lr) + 5)]++;
            assertEquals(lr, Samplers.propose(s, "cfg", k, List.of()));
        }
        for (int d : decades) assertTrue(d > 850 && d < 1150, "per decade: " + java.util.Arrays.toString(decades));
    }

    /** Mean distance in decades from the peak at lr = 1e-2 of trials 15..29, averaged over 10 seeds. */
    private static double meanDistanceFromPeak(LrSearchSettings.Sampler sampler) {
        double total = 0;
        for (int seed = 0; seed < 10; seed++) {
            LrSearchSettings s = new LrSearchSettings(30, 1e-5, 1e-1, sampler, 5, true, 5, 0, 0, seed);
            List<Observation> history = new ArrayList<>();
            for (int k = 0; k < 30; k++) {
                double lr = Samplers.propose(s, "cfg", k, history);
                double x = Math.log10(lr) + 2;
                history.add(new Observation(lr, Math.exp(-x * x)));
                if (k >= 15) total += Math.abs(x) / 15;
            }
        }
        return total / 10;
    }

    @Test
    void tpeConcentratesWhereTheObjectiveIsHigh() {
        // Uniform proposals on [-5, -1] decades lie 1.25 decades from -2 on average.
        double random = meanDistanceFromPeak(LrSearchSettings.Sampler.RANDOM);
        double tpe = meanDistanceFromPeak(LrSearchSettings.Sampler.TPE);
        assertTrue(random > 1.0, "random: " + random);
        assertTrue(tpe < 0.9, "tpe: " + tpe);
    }

    @Test
    void divergedTrialsCountAsTheWorst() {
        LrSearchSettings s = settings(LrSearchSettings.Sampler.TPE);
        List<Observation> history = new ArrayList<>();
        for (int k = 0; k < 20; k++) {
            double lr = Math.pow(10, -5 + 4 * k / 19.0);
            history.add(new Observation(lr, lr > 1e-3 ? Double.NaN : 0.5));
        }
        int low = 0;
        for (int k = 20; k < 30; k++) if (Samplers.propose(s, "cfg", k, history) < 3e-3) low++;
        assertTrue(low >= 8, "proposals below the diverging range: " + low + " of 10");
    }
}
