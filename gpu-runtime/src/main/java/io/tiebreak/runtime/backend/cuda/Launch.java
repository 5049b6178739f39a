package io.tiebreak.runtime.backend.cuda;

/**
 * A kernel launch's grid and 1-D block. Grids depend only on the problem's shape, never on the GPU, so results are
 * the same on every device (and in the host emulator).
 */
record Launch(int gridX, int gridY, int gridZ, int block) {
    /** Threads per block of the 1-D kernels (TB_BLOCK in common.cuh). */
    static final int BLOCK = 256;
    /** Grid cap of the grid-stride kernels: enough blocks to fill any current GPU several times over. */
    static final int MAX_LINEAR_GRID = 1 << 15;
    /** CUDA's limit on grid dimensions y and z. */
    static final int MAX_GRID_YZ = 65535;

    Launch {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ) {
            throw new IllegalArgumentException("invalid grid " + gridX + "x" + gridY + "x" + gridZ);
        }
        if (block < 1 || block > 1024) throw new IllegalArgumentException("invalid block size " + block);
    }

    /** Grid-stride launch over n > 0 items, one thread each while the grid cap allows. */
    static Launch linear(long n) {
        if (n <= 0) throw new IllegalArgumentException("nothing to launch: " + n + " items");
        long blocks = (n + BLOCK - 1) / BLOCK;
        return new Launch((int) Math.min(blocks, MAX_LINEAR_GRID), 1, 1, BLOCK);
    }

    /** A fixed number of blocks (kernels whose partial results are indexed by block). */
    static Launch blocks(int blocks) {
        return new Launch(blocks, 1, 1, BLOCK);
    }

    long threads() { return (long) gridX * gridY * gridZ * block; }
}
