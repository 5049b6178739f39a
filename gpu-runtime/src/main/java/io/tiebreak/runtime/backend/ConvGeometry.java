package io.tiebreak.runtime.backend;

/** A 2-D convolution's fixed parameters: weight [out, in, kh, kw], stride and zero padding. */
public record ConvGeometry(int inChannels, int outChannels, int kernelH, int kernelW,
                           int strideH, int strideW, int padH, int padW) {
    public ConvGeometry {
        if (inChannels <= 0 || outChannels <= 0 || kernelH <= 0 || kernelW <= 0 || strideH <= 0 || strideW <= 0
                || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("invalid convolution geometry " + this);
        }
    }

    public static ConvGeometry square(int in, int out, int kernel, int stride, int pad) {
        return new ConvGeometry(in, out, kernel, kernel, stride, stride, pad, pad);
    }

    public int outH(int h) { return outSize(h, kernelH, strideH, padH); }
    public int outW(int w) { return outSize(w, kernelW, strideW, padW); }

    /** Rows of the im2col matrix: in * kh * kw. */
    public int patchSize() { return inChannels * kernelH * kernelW; }

    static int outSize(int in, int kernel, int stride, int pad) {
        int span = in + 2 * pad - kernel;
        if (span < 0) {
            throw new IllegalArgumentException("input size " + in + " (padding " + pad + ") is smaller than kernel " + kernel);
        }
        return span / stride + 1;
    }
}
