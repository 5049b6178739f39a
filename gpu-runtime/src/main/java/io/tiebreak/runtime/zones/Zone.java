package io.tiebreak.runtime.zones;

import java.util.Locale;

/** How two Jacobian policies' gradients compare on one minibatch (docs/design.md, "Zones"). */
public enum Zone {
    /** Bitwise equal at the working precision. */
    AGREE,
    /** Different at the working precision, and different over the reals: the choice matters. */
    BIFURCATION,
    /** Different at the working precision but equal over the reals: a floating-point artefact. */
    COMPENSATION;

    public String id() { return name().toLowerCase(Locale.ROOT); }
}
