#!/usr/bin/python3
"""PyTorch reference for TorchDifferentialTest: what PyTorch computes for the same weights and inputs.

Usage: torch_reference.py IN.safetensors OUT.safetensors

IN's metadata "kind" says what to compute; "policies" is a comma-separated list of pool Jacobian policies
(first, min-norm, beta:B), and every result is written to OUT under "<policy>/...".

kind "model": IN holds the model's state_dict tensors (PyTorch names), "input" [N, C, H, W] (F32 or F64: the working
precision) and "labels" [N] (I64); metadata "network" ("lenet5", "vgg11" or "densenet121"), "batch_norm" ("true"/"false") and
"classes". OUT gets "P/loss" [1], "P/<param>.grad" for every trainable parameter, and "P/ties/<pool>" [1] (I64):
how many windows of that pool had their maximum attained at two or more inputs. Training mode (batch statistics).
For the policies listed in metadata "fp64_reference", the same again under "P/fp64/...", computed in binary64 from
the same (binary32) weights and inputs: the exact answer that a binary32 result is judged against.

kind "pool": IN holds "x" [N, C, H, W] and "dy" (the upstream gradient of the 2x2/2 pool's output). OUT gets
"P/y", "P/dx" and "P/ties" for the single pool op.

The networks mirror gpu-runtime's models/Models.java layer for layer and name for name; the policies mirror
docs/design.md ("MaxPool Jacobian policies"): `first` is PyTorch's own max_pool2d, `min-norm` a custom autograd function
that sends g/k to each of the k tied inputs, and `beta:B` the reference study's composite
`B * minpool(x) + (1 - B) * maxpool(x)`, evaluated by autograd in the tensor's dtype.
"""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---- safetensors (the pip package is not available here; the format is an 8-byte header length, JSON, raw data) --

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "U8": np.uint8}
_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = blob[8 + n:]
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        dt = np.dtype(_DTYPES[e["dtype"]]).newbyteorder("<")
        tensors[name] = np.frombuffer(data[begin:end], dtype=dt).reshape(e["shape"]).copy()
    return tensors, meta


def write_safetensors(path, tensors, meta=None):
    header, chunks, offset = {}, [], 0
    if meta:
        header["__metadata__"] = meta
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _NAMES[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    js = json.dumps(header).encode("utf-8")
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for c in chunks:
            f.write(c)


# ---- pooling policies ---------------------------------------------------------------------------------------------

def _windows(x, k):
    """x [N,C,H,W] -> [N,C,Ho,k,Wo,k] for a k x k / stride k pool without padding (the only pool the models use)."""
    n, c, h, w = x.shape
    ho, wo = h // k, w // k
    return x[:, :, :ho * k, :wo * k].reshape(n, c, ho, k, wo, k)


def tie_count(x, k):
    """Windows whose maximum is attained at >= 2 inputs (NaN-free inputs: see the test's note on NaN)."""
    xw = _windows(x, k)
    m = xw.amax(dim=(3, 5), keepdim=True)
    return int(((xw == m).sum(dim=(3, 5)) >= 2).sum().item())


class MinNormMaxPool(torch.autograd.Function):
    """Max-pool forward; backward gives g/k to every one of the k maximal inputs of a window (min-norm)."""

    @staticmethod
    def forward(ctx, x, k):
        xw = _windows(x, k)
        m = xw.amax(dim=(3, 5), keepdim=True)
        ctx.save_for_backward(x)
        ctx.k = k
        return m.squeeze(5).squeeze(3)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        k = ctx.k
        xw = _windows(x, k)
        mask = xw == xw.amax(dim=(3, 5), keepdim=True)
        count = mask.sum(dim=(3, 5), keepdim=True).to(g.dtype)
        share = g.unsqueeze(3).unsqueeze(5) / count          # one rounding: g / k in the working dtype
        dxw = torch.where(mask, share, torch.zeros_like(share))
        n, c, h, w = x.shape
        ho, wo = h // k, w // k
        dx = torch.zeros_like(x)
        dx[:, :, :ho * k, :wo * k] = dxw.reshape(n, c, ho * k, wo * k)
        return dx, None


class PolicyPool(nn.Module):
    """2x2/2 max pool with a Jacobian policy; remembers the tie count of its last forward."""

    def __init__(self, policy):
        super().__init__()
        self.policy = policy
        self.ties = 0

    def forward(self, x):
        self.ties = tie_count(x.detach(), 2)
        p = self.policy
        if p == "first":
            return F.max_pool2d(x, 2, 2)
        if p == "min-norm":
            return MinNormMaxPool.apply(x, 2)
        if p.startswith("beta:"):
            b = float(p[5:])
            # The reference study's composite form, verbatim: B * minpool(x) + (1 - B) * maxpool(x).
            return b * MinNormMaxPool.apply(x, 2) + (1 - b) * F.max_pool2d(x, 2, 2)
        raise ValueError("unknown pool policy " + p)


# ---- networks (mirror Models.java, same state_dict names) ---------------------------------------------------------

class LeNet5(nn.Module):
    def __init__(self, in_ch, h, w, classes, bn, policy):
        super().__init__()
        self.bn = bn
        self.conv1 = nn.Conv2d(in_ch, 6, 5)
        self.pool1 = PolicyPool(policy)
        if bn:
            self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = PolicyPool(policy)
        if bn:
            self.bn2 = nn.BatchNorm2d(16)
        fh, fw = ((h - 4) // 2 - 4) // 2, ((w - 4) // 2 - 4) // 2
        self.fc1 = nn.Linear(16 * fh * fw, 120)
        if bn:
            self.bn3 = nn.BatchNorm1d(120)
        self.fc2 = nn.Linear(120, 84)
        if bn:
            self.bn4 = nn.BatchNorm1d(84)
        self.fc3 = nn.Linear(84, classes)

    def pools(self):
        return {"pool1": self.pool1, "pool2": self.pool2}

    def forward(self, x):
        ident = lambda t: t
        x = self.pool1(F.relu(self.conv1(x)))
        x = (self.bn1 if self.bn else ident)(x)
        x = self.pool2(F.relu(self.conv2(x)))
        x = (self.bn2 if self.bn else ident)(x)
        x = torch.flatten(x, 1)
        x = (self.bn3 if self.bn else ident)(F.relu(self.fc1(x)))
        x = (self.bn4 if self.bn else ident)(F.relu(self.fc2(x)))
        return self.fc3(x)


VGG_CFG = {"vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]}


class VGG(nn.Module):
    def __init__(self, cfg, in_ch, h, w, classes, bn, policy):
        super().__init__()
        layers = []
        for v in cfg:
            if v == "M":
                layers.append(PolicyPool(policy))
                h, w = h // 2, w // 2
            else:
                layers.append(nn.Conv2d(in_ch, v, 3, padding=1))
                if bn:
                    layers.append(nn.BatchNorm2d(v))
                layers.append(nn.ReLU())
                in_ch = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(in_ch * h * w, classes)

    def pools(self):
        return {"features." + str(i): m for i, m in enumerate(self.features) if isinstance(m, PolicyPool)}

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class DenseLayer(nn.Module):
    """The study's _DenseLayer with its norms (identity even with batch-norm on) left out: it concatenates the
    features it is given itself, as the study's does, so autograd adds the gradients of each feature map in PyTorch's
    own order."""

    def __init__(self, cin, growth=32, bn_size=4):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, bn_size * growth, 1, bias=False)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

    def forward(self, features):
        x = torch.cat(features, 1)
        return self.conv2(F.relu(self.conv1(F.relu(x))))


class DenseBlock(nn.ModuleDict):
    def __init__(self, layers, cin, growth=32):
        super().__init__()
        for i in range(layers):
            self.add_module("denselayer%d" % (i + 1), DenseLayer(cin + i * growth, growth))

    def forward(self, init):
        features = [init]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)


class DenseNet121(nn.Module):
    """models/densenet.py of the reference study (ryanboustany/MaxPool-numerical): conv0 7x7/2, [norm0], ReLU, the
    policy pool, blocks of 6/12/24/16 dense layers with transitions (ReLU, 1x1 conv, 2x2 average pool), [norm5],
    ReLU, adaptive average pool, linear. Only norm0 and norm5 follow batch_norm."""

    def __init__(self, in_ch, classes, bn, policy, blocks=(6, 12, 24, 16), growth=32):
        super().__init__()
        from collections import OrderedDict
        f = OrderedDict([("conv0", nn.Conv2d(in_ch, 64, 7, stride=2, padding=3, bias=False))])
        if bn:
            f["norm0"] = nn.BatchNorm2d(64)
        f["relu0"] = nn.ReLU()
        f["pool0"] = PolicyPool(policy)
        n = 64
        for i, layers in enumerate(blocks):
            f["denseblock%d" % (i + 1)] = DenseBlock(layers, n, growth)
            n += layers * growth
            if i != len(blocks) - 1:
                f["transition%d" % (i + 1)] = nn.Sequential(OrderedDict([
                    ("relu", nn.ReLU()), ("conv", nn.Conv2d(n, n // 2, 1, bias=False)),
                    ("pool", nn.AvgPool2d(2, 2))]))
                n //= 2
        if bn:
            f["norm5"] = nn.BatchNorm2d(n)
        self.features = nn.Sequential(f)
        self.classifier = nn.Linear(n, classes)

    def pools(self):
        return {"features.pool0": self.features.pool0}

    def forward(self, x):
        out = F.adaptive_avg_pool2d(F.relu(self.features(x)), (1, 1))
        return self.classifier(torch.flatten(out, 1))


def build(meta, shape, policy):
    net = meta["network"]
    bn = meta["batch_norm"] == "true"
    _, c, h, w = shape
    classes = int(meta["classes"])
    if net == "lenet5":
        return LeNet5(c, h, w, classes, bn, policy)
    if net in VGG_CFG:
        return VGG(VGG_CFG[net], c, h, w, classes, bn, policy)
    if net == "densenet121":
        return DenseNet121(c, classes, bn, policy)
    raise ValueError("unknown network " + net)


def load_weights(model, tensors, dtype):
    state = model.state_dict()
    missing = [k for k in state if k not in tensors and not k.endswith("num_batches_tracked")]
    extra = [k for k in tensors if k not in state and k not in ("input", "labels")]
    if missing or extra:
        raise ValueError("state_dict mismatch: missing %s, unexpected %s" % (missing, extra))
    with torch.no_grad():
        for k, v in state.items():
            if k in tensors:
                src = torch.from_numpy(tensors[k])
                if tuple(src.shape) != tuple(v.shape):
                    raise ValueError("%s: shape %s, model has %s" % (k, tuple(src.shape), tuple(v.shape)))
                if src.dtype != dtype:
                    raise ValueError("%s: dtype %s, expected %s" % (k, src.dtype, dtype))
                v.copy_(src)


def model_gradients(tensors, meta, policies, prefix=""):
    x = torch.from_numpy(tensors["input"])
    labels = torch.from_numpy(tensors["labels"]).long()
    out = {}
    for policy in policies:
        model = build(meta, tuple(x.shape), policy).to(x.dtype)
        load_weights(model, tensors, x.dtype)
        model.train()  # batch-norm uses batch statistics, as Model.lossAndGradients does
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        p = policy + "/" + prefix
        out[p + "loss"] = loss.detach().reshape(1).numpy()
        for name, param in model.named_parameters():
            out[p + name + ".grad"] = param.grad.numpy()
        for name, pool in model.pools().items():
            out[p + "ties/" + name] = np.array([pool.ties], dtype=np.int64)
    return out


def widened(tensors):
    return {k: v.astype(np.float64) if v.dtype == np.float32 else v for k, v in tensors.items()}


def pool_op(tensors, policies):
    out = {}
    for policy in policies:
        x = torch.from_numpy(tensors["x"]).requires_grad_()
        pool = PolicyPool(policy)
        y = pool(x)
        y.backward(torch.from_numpy(tensors["dy"]))
        out[policy + "/y"] = y.detach().numpy()
        out[policy + "/dx"] = x.grad.numpy()
        out[policy + "/ties"] = np.array([pool.ties], dtype=np.int64)
    return out


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: torch_reference.py IN.safetensors OUT.safetensors")
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    tensors, meta = read_safetensors(argv[1])
    policies = meta["policies"].split(",")
    for name, t in tensors.items():
        if t.dtype.kind == "f" and t.dtype not in (np.float32, np.float64):
            raise ValueError("%s: dtype %s, expected F32 or F64" % (name, t.dtype))
    kind = meta.get("kind", "model")
    if kind == "model":
        out = model_gradients(tensors, meta, policies)
        again = [p for p in meta.get("fp64_reference", "").split(",") if p]
        if again:  # the same fp32 data evaluated in binary64: "P/fp64/..."
            out.update(model_gradients(widened(tensors), meta, again, "fp64/"))
    elif kind == "pool":
        out = pool_op(tensors, policies)
    else:
        raise ValueError("unknown kind " + kind)
    write_safetensors(argv[2], out, {"torch": torch.__version__})


if __name__ == "__main__":
    main(sys.argv)
