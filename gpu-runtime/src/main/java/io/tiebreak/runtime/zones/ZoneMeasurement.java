package io.tiebreak.runtime.zones;

import java.util.List;

/**
 * One minibatch's comparison of policies A and B.
 *
 * <p>zone is decided over the reals (docs/design.md, "Zones over the reals"); zoneFp64 is the bitwise fp64 verdict
 * the zones used before (bifurcation when the fp64 recomputation differs in any bit), kept so both can be compared.
 * realsDiffering counts the gradient coordinates whose exact difference the test found nonzero (0 when the
 * gradients agree over the reals), or is -1 when the test did not run: the working precision agreed, or the fp64
 * pass was not finite (then zone is zoneFp64).
 *
 * <p>Norms are of g_A - g_B summed over all parameters; the fp64 ones are NaN when the working precision already
 * agreed (no recomputation needed). Ties are per max-pool layer (windows with k >= 2) under policy A's forward, at
 * the working precision and at fp64. layerShare is each parameter's part of the L1 difference at the working
 * precision (zeros when they agree), so a user sees where a difference starts.
 */
public record ZoneMeasurement(Zone zone, Zone zoneFp64, long realsDiffering, double l1, double linf, double l1Fp64,
                              double linfFp64, double loss, List<String> pools, long[] ties, long[] tiesFp64,
                              List<String> parameters, double[] layerShare) {}
