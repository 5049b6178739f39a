package io.tiebreak.runtime.backend;

/** A square pooling window: kernel, stride, padding (padding counts as -inf for max, as 0 for average). */
public record PoolGeometry(int kernel, int stride, int padding) {
    public PoolGeometry {
        if (kernel <= 0 || stride <= 0 || padding < 0 || 2 * padding > kernel) {
            throw new IllegalArgumentException("invalid pooling geometry " + this
                    + ": need kernel > 0, stride > 0, 0 <= padding <= kernel/2");
        }
    }

    public int out(int in) { return ConvGeometry.outSize(in, kernel, stride, padding); }
}
