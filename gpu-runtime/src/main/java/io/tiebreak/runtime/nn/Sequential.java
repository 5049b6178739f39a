package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.parallel.MicroBatches;
import java.util.List;

/** Layers applied in order; backward runs them in reverse. */
public final class Sequential implements Layer {
    private final List<Layer> layers;

    public Sequential(List<Layer> layers) {
        this.layers = List.copyOf(layers);
    }

    public List<Layer> layers() { return layers; }

    @Override
    public MicroBatches forward(MicroBatches x, boolean training) {
        for (Layer l : layers) x = l.forward(x, training);
        return x;
    }

    @Override
    public MicroBatches backward(MicroBatches dy, boolean needInputGrad) {
        for (int i = layers.size() - 1; i >= 0; i--) dy = layers.get(i).backward(dy, i > 0 || needInputGrad);
        return dy;
    }

    @Override
    public void collectParameters(List<Parameter> out) {
        for (Layer l : layers) l.collectParameters(out);
    }

    @Override
    public void collectPools(List<MaxPool2d> out) {
        for (Layer l : layers) l.collectPools(out);
    }

    @Override
    public void releaseBuffers() {
        for (Layer l : layers) l.releaseBuffers();
    }
}
