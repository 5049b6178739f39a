package io.tiebreak.runtime.zones;

import java.util.Locale;

/** How two Jacobian policies' gradients compare on one minibatch (docs/design.md, "Zones"). */
public enum Zone {
    /** Bitwise equal at the working precision. */
    AGREE,
    /** Different at the working precision and still different in fp64: the choice matters over the reals. */
    BIFURCATION,
    /** Different at the working precision but equal in fp64: a floating-point artefact. */
    COMPENSATION;

    public String id() { return name().toLowerCase(Locale.ROOT); }
}
