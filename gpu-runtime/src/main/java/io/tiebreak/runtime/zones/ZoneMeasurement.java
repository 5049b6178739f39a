package io.tiebreak.runtime.zones;

import java.util.List;

/**
 * One minibatch's comparison of policies A and B. Norms are of g_A - g_B summed over all parameters; the fp64
 * ones are NaN when the working precision already agreed (no recomputation needed). Ties are per max-pool layer
 * (windows with k >= 2) under policy A's forward, at the working precision and at fp64. layerShare is each
 * parameter's part of the L1 difference at the working precision (zeros when they agree), so a user sees where a
 * difference starts.
 */
public record ZoneMeasurement(Zone zone, double l1, double linf, double l1Fp64, double linfFp64, double loss,
                              List<String> pools, long[] ties, long[] tiesFp64, List<String> parameters,
                              double[] layerShare) {}
