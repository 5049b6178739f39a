package io.tiebreak.runtime.random;

import java.nio.charset.StandardCharsets;

/**
 * A seeded generator with explicit, saveable state (xoshiro256**, seeded through SplitMix64). Every random choice in
 * the runtime (initialization, shuffling, augmentation) draws from an Rng derived from the run's seed and a stream
 * name, so streams do not disturb each other. Floating-point draws use StrictMath so they are the same on every JVM.
 */
public final class Rng {
    private long s0, s1, s2, s3;
    private double spareNormal;
    private boolean hasSpare;

    private Rng(long s0, long s1, long s2, long s3) {
        this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
    }

    /** The stream named {@code stream} of the run seeded with {@code seed}. */
    public static Rng of(long seed, String stream) {
        long h = seed;
        for (byte b : stream.getBytes(StandardCharsets.UTF_8)) h = mix(h ^ (b & 0xff)) + 0x9e3779b97f4a7c15L;
        long x = h;
        long a = mix(x += 0x9e3779b97f4a7c15L), b = mix(x += 0x9e3779b97f4a7c15L);
        long c = mix(x += 0x9e3779b97f4a7c15L), d = mix(x + 0x9e3779b97f4a7c15L);
        if ((a | b | c | d) == 0) a = 1;
        return new Rng(a, b, c, d);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [lo, hi). */
    public double uniform(double lo, double hi) {
        return lo + (hi - lo) * nextDouble();
    }

    /** Uniform integer in [0, bound), without modulo bias. */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        long u = nextLong() >>> 1, r;
        while (u - (r = u % bound) + (bound - 1) < 0) u = nextLong() >>> 1; // reject the top partial block
        return (int) r;
    }

    public boolean nextBoolean() { return nextLong() < 0; }

    /** Standard normal (Marsaglia polar method). */
    public double normal() {
        if (hasSpare) {
            hasSpare = false;
            return spareNormal;
        }
        double u, v, s;
        do {
            u = 2 * nextDouble() - 1;
            v = 2 * nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double m = StrictMath.sqrt(-2 * StrictMath.log(s) / s);
        spareNormal = v * m;
        hasSpare = true;
        return u * m;
    }

    /** Fisher-Yates permutation of 0..n-1. */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    /** The full state, for checkpoints: "s0:s1:s2:s3[:spare]" in hex. */
    public String state() {
        String s = Long.toHexString(s0) + ":" + Long.toHexString(s1) + ":" + Long.toHexString(s2) + ":" + Long.toHexString(s3);
        return hasSpare ? s + ":" + Long.toHexString(Double.doubleToRawLongBits(spareNormal)) : s;
    }

    /** A generator in exactly the state {@link #state()} returned. */
    public static Rng fromState(String state) {
        String[] p = state.split(":");
        if (p.length != 4 && p.length != 5) throw new IllegalArgumentException("bad generator state '" + state + "'");
        try {
            Rng r = new Rng(Long.parseUnsignedLong(p[0], 16), Long.parseUnsignedLong(p[1], 16),
                    Long.parseUnsignedLong(p[2], 16), Long.parseUnsignedLong(p[3], 16));
            if (p.length == 5) {
                r.hasSpare = true;
                r.spareNormal = Double.longBitsToDouble(Long.parseUnsignedLong(p[4], 16));
            }
            return r;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad generator state '" + state + "'", e);
        }
    }
}
