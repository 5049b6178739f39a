package io.tiebreak.runtime.data;

import io.tiebreak.runtime.random.Rng;

/**
 * Turns 8-bit samples into a normalized NCHW binary32 batch the way torchvision does for the study: optional random
 * crop with zero padding and horizontal flip on the pixels (in that order, drawing y offset, x offset, flip per
 * sample), then ToTensor (pixel/255 in binary32) and Normalize ((v - mean)/std in binary32). The backend then rounds
 * to the working precision (binary16 for fp16, exact widening for fp64), as x.half() / x.double() would.
 */
public final class BatchAssembler {
    private final int c, h, w;
    private final float[] mean, std;
    private final Augmentation augmentation;

    public BatchAssembler(int channels, int height, int width, Normalization norm, Augmentation augmentation) {
        if (norm.channels() != channels) {
            throw new IllegalArgumentException("normalization for " + norm.channels() + " channels, data has " + channels);
        }
        this.c = channels;
        this.h = height;
        this.w = width;
        this.mean = new float[channels];
        this.std = new float[channels];
        for (int i = 0; i < channels; i++) {
            mean[i] = (float) norm.mean()[i];
            std[i] = (float) norm.std()[i];
        }
        this.augmentation = augmentation;
    }

    /** Writes n samples from pixels into out (n*C*H*W values); rng is used only when augmenting. */
    public void assemble(byte[] pixels, int n, Rng rng, float[] out) {
        int plane = h * w, per = c * plane, pad = augmentation.cropPadding();
        for (int s = 0; s < n; s++) {
            int dy = 0, dx = 0;
            boolean flip = false;
            if (pad > 0) {
                dy = rng.nextInt(2 * pad + 1) - pad;
                dx = rng.nextInt(2 * pad + 1) - pad;
            }
            if (augmentation.horizontalFlip()) flip = rng.nextDouble() < 0.5;
            for (int ch = 0; ch < c; ch++) {
                int src = s * per + ch * plane, dst = src;
                float zero = (0 - mean[ch]) / std[ch];
                for (int y = 0; y < h; y++) {
                    int sy = y + dy;
                    for (int x = 0; x < w; x++) {
                        int sx = (flip ? w - 1 - x : x) + dx;
                        out[dst + y * w + x] = sy < 0 || sy >= h || sx < 0 || sx >= w ? zero
                                : ((pixels[src + sy * w + sx] & 0xff) / (float) 255 - mean[ch]) / std[ch];
                    }
                }
            }
        }
    }
}
