package io.tiebreak.runtime.backend.cuda;

/**
 * How one C[m,n] = op(A)[m,k] op(B)[k,n] runs (gemm.cuh): the tile kernel and the split of k. Chosen from the shape
 * alone, so a product gives the same bits on every GPU. Small outputs with a long k (weight gradients: C is
 * out x patch, k is batch x pixels) are split over k into partial products that tb_gemm_reduce adds in split order.
 *
 * @param tile "s" (64x64 tiles, k step 16) or "l" (128x128 tiles, k step 8)
 * @param splits number of k ranges; 1 means the tile kernel writes C directly
 * @param kChunk length of each k range (a multiple of the k step)
 */
record GemmPlan(String tile, int tileM, int tileN, int tileK, int splits, int kChunk, int m, int n, int k) {
    /** Blocks a product should offer before it is worth splitting k: about two per SM of a large GPU. */
    static final int TARGET_BLOCKS = 256;
    /** Fewest k values per split: below this the partial sums cost more than they save. */
    static final int MIN_SPLIT_K = 256;
    static final int MAX_SPLITS = 256;

    static GemmPlan of(int m, int n, int k) {
        if (m <= 0 || n <= 0 || k < 0) throw new IllegalArgumentException("invalid GEMM shape " + m + "x" + n + "x" + k);
        long largeTiles = ceil(m, 128) * ceil(n, 128);
        boolean large = m >= 128 && n >= 128 && largeTiles >= TARGET_BLOCKS / 2;
        int tm = large ? 128 : 64, tn = tm, tk = large ? 8 : 16;
        long tiles = ceil(m, tm) * ceil(n, tn);
        if (ceil(m, tm) > Launch.MAX_GRID_YZ) throw new IllegalArgumentException("GEMM with " + m + " rows is too tall");
        int splits = 1;
        if (tiles < TARGET_BLOCKS && k >= 2 * MIN_SPLIT_K) {
            splits = (int) Math.min(Math.min(ceil(TARGET_BLOCKS, tiles), k / MIN_SPLIT_K), MAX_SPLITS);
        }
        int kChunk = Math.max(tk, (int) (ceil(ceil(k, splits), tk) * tk));
        splits = Math.max(1, (int) ceil(k, kChunk));
        return new GemmPlan(large ? "l" : "s", tm, tn, tk, splits, kChunk, m, n, k);
    }

    Launch launch() {
        return new Launch((int) ceil(n, tileN), (int) ceil(m, tileM), splits, Launch.BLOCK);
    }

    private static long ceil(long a, long b) { return (a + b - 1) / b; }
}
