package io.tiebreak.runtime.models;

import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.nn.AdaptiveAvgPool2d;
import io.tiebreak.runtime.nn.AvgPool2d;
import io.tiebreak.runtime.nn.BatchNorm;
import io.tiebreak.runtime.nn.Concat;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.nn.Conv2d;
import io.tiebreak.runtime.nn.Flatten;
import io.tiebreak.runtime.nn.Init;
import io.tiebreak.runtime.nn.Layer;
import io.tiebreak.runtime.nn.Linear;
import io.tiebreak.runtime.nn.MaxPool2d;
import io.tiebreak.runtime.nn.Relu;
import io.tiebreak.runtime.nn.Residual;
import io.tiebreak.runtime.nn.Sequential;
import io.tiebreak.runtime.random.Rng;
import java.util.ArrayList;
import java.util.List;

/**
 * The study's networks (docs/design.md, "Models"; DenseNet121 as its code defines it), with PyTorch state_dict names.
 * Every MaxPool takes the policy and
 * every ReLU the alpha; batch-norm off means the layer is absent (identity). Weights come from Rng.of(seed, "init"),
 * drawn in construction order.
 */
public final class Models {
    private Models() {}

    private static final PoolGeometry POOL_2X2 = new PoolGeometry(2, 2, 0);

    public static Model build(ModelSpec spec, Context ctx, PoolPolicy policy, double reluAlpha, long seed) {
        Builder b = new Builder(spec, ctx, policy, reluAlpha, Rng.of(seed, "init"));
        Layer net;
        switch (spec.network()) {
            case LENET5: net = b.lenet5(); break;
            case VGG11: net = b.vgg(new int[] {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0}); break;
            case VGG13: net = b.vgg(new int[] {64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0}); break;
            case VGG16: net = b.vgg(new int[] {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0,
                    512, 512, 512, 0}); break;
            case VGG19: net = b.vgg(new int[] {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0,
                    512, 512, 512, 512, 0}); break;
            case RESNET18: net = b.resnet(new int[] {2, 2, 2, 2}, false); break;
            case RESNET34: net = b.resnet(new int[] {3, 4, 6, 3}, false); break;
            case RESNET50: net = b.resnet(new int[] {3, 4, 6, 3}, true); break;
            default: net = b.densenet(new int[] {6, 12, 24, 16}); break;
        }
        return new Model(spec, ctx, net);
    }

    /** Holds what every layer constructor needs, and tracks the spatial size as layers are added. */
    private static final class Builder {
        final ModelSpec spec;
        final Context ctx;
        final PoolPolicy policy;
        final double alpha;
        final Rng rng;
        int h, w;

        Builder(ModelSpec spec, Context ctx, PoolPolicy policy, double alpha, Rng rng) {
            this.spec = spec;
            this.ctx = ctx;
            this.policy = policy;
            this.alpha = alpha;
            this.rng = rng;
            this.h = spec.height();
            this.w = spec.width();
        }

        Conv2d conv(String name, int in, int out, int k, int stride, int pad, boolean bias, Init.Scheme scheme) {
            ConvGeometry g = ConvGeometry.square(in, out, k, stride, pad);
            h = g.outH(h);
            w = g.outW(w);
            return new Conv2d(ctx, name, g, bias, scheme, rng);
        }

        MaxPool2d pool(String name) {
            h = POOL_2X2.out(h);
            w = POOL_2X2.out(w);
            return new MaxPool2d(ctx, name, POOL_2X2, policy);
        }

        Relu relu() { return new Relu(ctx, alpha); }

        /** LeNet-5: conv 6 k5, ReLU, pool, [BN], conv 16 k5, ReLU, pool, [BN], fc 120, ReLU, [BN], fc 84, ReLU, [BN], fc. */
        Layer lenet5() {
            List<Layer> l = new ArrayList<>();
            l.add(conv("conv1", spec.inChannels(), 6, 5, 1, 0, true, Init.Scheme.PYTORCH_DEFAULT));
            l.add(relu());
            l.add(pool("pool1"));
            if (spec.batchNorm()) l.add(new BatchNorm(ctx, "bn1", 6));
            l.add(conv("conv2", 6, 16, 5, 1, 0, true, Init.Scheme.PYTORCH_DEFAULT));
            l.add(relu());
            l.add(pool("pool2"));
            if (spec.batchNorm()) l.add(new BatchNorm(ctx, "bn2", 16));
            l.add(new Flatten());
            l.add(new Linear(ctx, "fc1", 16 * h * w, 120, rng));
            l.add(relu());
            if (spec.batchNorm()) l.add(new BatchNorm(ctx, "bn3", 120));
            l.add(new Linear(ctx, "fc2", 120, 84, rng));
            l.add(relu());
            if (spec.batchNorm()) l.add(new BatchNorm(ctx, "bn4", 84));
            l.add(new Linear(ctx, "fc3", 84, spec.classes(), rng));
            return new Sequential(l);
        }

        /**
         * VGG, CIFAR form: per config entry a 3x3 pad-1 conv [+BN] + ReLU, or (0) a 2x2/2 max pool; then one linear.
         * Names follow the usual `features.<index>` numbering, where ReLU and pool take indices too.
         */
        Layer vgg(int[] cfg) {
            List<Layer> l = new ArrayList<>();
            int in = spec.inChannels(), idx = 0;
            for (int v : cfg) {
                if (v == 0) {
                    l.add(pool("features." + idx++));
                    continue;
                }
                l.add(conv("features." + idx++, in, v, 3, 1, 1, true, Init.Scheme.PYTORCH_DEFAULT));
                if (spec.batchNorm()) l.add(new BatchNorm(ctx, "features." + idx++, v));
                l.add(relu());
                idx++;
                in = v;
            }
            l.add(new Flatten());
            l.add(new Linear(ctx, "classifier", in * h * w, spec.classes(), rng));
            return new Sequential(l);
        }

        /** ResNet: stem conv [BN] ReLU, 2x2/2 policy MaxPool, four stages, adaptive average pool, linear. */
        Layer resnet(int[] blocks, boolean bottleneck) {
            List<Layer> l = new ArrayList<>();
            Init.Scheme kaiming = Init.Scheme.KAIMING_NORMAL_FAN_OUT;
            if (spec.imagenetStem()) l.add(conv("conv1", spec.inChannels(), 64, 7, 2, 3, false, kaiming));
            else l.add(conv("conv1", spec.inChannels(), 64, 3, 1, 1, false, kaiming));
            if (spec.batchNorm()) l.add(new BatchNorm(ctx, "bn1", 64));
            l.add(relu());
            l.add(pool("maxpool"));
            int in = 64, expansion = bottleneck ? 4 : 1;
            int[] planes = {64, 128, 256, 512};
            for (int s = 0; s < 4; s++) {
                for (int j = 0; j < blocks[s]; j++) {
                    int stride = (s > 0 && j == 0) ? 2 : 1;
                    String p = "layer" + (s + 1) + "." + j + ".";
                    l.add(bottleneck ? bottleneck(p, in, planes[s], stride) : basic(p, in, planes[s], stride));
                    in = planes[s] * expansion;
                }
            }
            l.add(new AdaptiveAvgPool2d(ctx, 1, 1));
            h = 1;
            w = 1;
            l.add(new Flatten());
            l.add(new Linear(ctx, "linear", in, spec.classes(), rng));
            return new Sequential(l);
        }

        /**
         * DenseNet121 as the reference study's models/densenet.py builds it: conv0 7x7/2 pad 3 to 64 features,
         * [norm0], ReLU, the policy MaxPool 2x2/2; dense blocks of {@code layers} layers (growth 32, bottleneck 4:
         * each layer ReLU, 1x1 conv to 128, ReLU, 3x3 conv to 32, its output concatenated to its input), with a
         * transition (ReLU, 1x1 conv halving the features, 2x2/2 average pool) between blocks; [norm5], ReLU,
         * adaptive average pool, linear. The study's quirk is kept: the norms inside blocks and transitions are
         * identity even with batch-norm on (its _DenseBlock and _Transition are given norm_layer=None), so only
         * norm0 and norm5 follow batch_norm. Convs start Kaiming normal (fan_in), the linear's bias at 0. Every ReLU
         * takes alpha (the study's in-block ReLUs are plain nn.ReLU: the same at alpha 0, the only one it trained).
         */
        Layer densenet(int[] layers) {
            final int growth = 32, bottleneck = 4 * growth;
            Init.Scheme k = Init.Scheme.KAIMING_NORMAL_FAN_IN;
            List<Layer> l = new ArrayList<>();
            l.add(conv("features.conv0", spec.inChannels(), 64, 7, 2, 3, false, k));
            if (spec.batchNorm()) l.add(new BatchNorm(ctx, "features.norm0", 64));
            l.add(relu());
            l.add(pool("features.pool0"));
            int features = 64;
            for (int block = 0; block < layers.length; block++) {
                for (int i = 0; i < layers[block]; i++) {
                    String p = "features.denseblock" + (block + 1) + ".denselayer" + (i + 1) + ".";
                    l.add(new Concat(ctx, new Sequential(List.of(relu(),
                            conv(p + "conv1", features, bottleneck, 1, 1, 0, false, k), relu(),
                            conv(p + "conv2", bottleneck, growth, 3, 1, 1, false, k)))));
                    features += growth;
                }
                if (block == layers.length - 1) break;
                l.add(relu());
                l.add(conv("features.transition" + (block + 1) + ".conv", features, features / 2, 1, 1, 0, false, k));
                features /= 2;
                if (h < 2 || w < 2) {
                    throw new IllegalArgumentException(spec.network().id() + " needs inputs of at least 31x31 (its"
                            + " transitions halve the features' size three times), got " + spec.height() + "x" + spec.width());
                }
                l.add(new AvgPool2d(ctx, POOL_2X2));
                h = POOL_2X2.out(h);
                w = POOL_2X2.out(w);
            }
            if (spec.batchNorm()) l.add(new BatchNorm(ctx, "features.norm5", features));
            l.add(relu());
            l.add(new AdaptiveAvgPool2d(ctx, 1, 1));
            h = 1;
            w = 1;
            l.add(new Flatten());
            l.add(new Linear(ctx, "classifier", features, spec.classes(), rng).zeroBias());
            return new Sequential(l);
        }

        private Residual basic(String p, int in, int planes, int stride) {
            List<Layer> b = new ArrayList<>();
            int h0 = h, w0 = w;
            b.add(conv(p + "conv1", in, planes, 3, stride, 1, false, Init.Scheme.KAIMING_NORMAL_FAN_OUT));
            if (spec.batchNorm()) b.add(new BatchNorm(ctx, p + "bn1", planes));
            b.add(relu());
            b.add(conv(p + "conv2", planes, planes, 3, 1, 1, false, Init.Scheme.KAIMING_NORMAL_FAN_OUT));
            if (spec.batchNorm()) b.add(new BatchNorm(ctx, p + "bn2", planes));
            return new Residual(ctx, new Sequential(b), shortcut(p, in, planes, stride, h0, w0), relu());
        }

        private Residual bottleneck(String p, int in, int planes, int stride) {
            List<Layer> b = new ArrayList<>();
            int h0 = h, w0 = w;
            Init.Scheme k = Init.Scheme.KAIMING_NORMAL_FAN_OUT;
            b.add(conv(p + "conv1", in, planes, 1, 1, 0, false, k));
            if (spec.batchNorm()) b.add(new BatchNorm(ctx, p + "bn1", planes));
            b.add(relu());
            b.add(conv(p + "conv2", planes, planes, 3, stride, 1, false, k));
            if (spec.batchNorm()) b.add(new BatchNorm(ctx, p + "bn2", planes));
            b.add(relu());
            b.add(conv(p + "conv3", planes, planes * 4, 1, 1, 0, false, k));
            if (spec.batchNorm()) b.add(new BatchNorm(ctx, p + "bn3", planes * 4));
            return new Residual(ctx, new Sequential(b), shortcut(p, in, planes * 4, stride, h0, w0), relu());
        }

        /** 1x1 conv [+BN] when the shape changes, else identity (null). Leaves the tracked size as the branch set it. */
        private Layer shortcut(String p, int in, int out, int stride, int h0, int w0) {
            if (stride == 1 && in == out) return null;
            int h1 = h, w1 = w;
            h = h0;
            w = w0;
            List<Layer> s = new ArrayList<>();
            s.add(conv(p + "shortcut.0", in, out, 1, stride, 0, false, Init.Scheme.KAIMING_NORMAL_FAN_OUT));
            if (spec.batchNorm()) s.add(new BatchNorm(ctx, p + "shortcut.1", out));
            h = h1;
            w = w1;
            return new Sequential(s);
        }
    }
}
