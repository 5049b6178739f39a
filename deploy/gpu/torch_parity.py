#!/usr/bin/python3
"""PyTorch's side of TorchParity: reads the inputs TorchParity wrote, computes the same ops with PyTorch on a device
in the inputs' precision (fp16 -> torch.float16, fp32 -> torch.float32), writes the results.

Usage: torch_parity.py IN.safetensors OUT.safetensors [--device cuda|cpu]

Names written (the Java side compares them): relu/y, relu/dx, maxpool_<g>/y, maxpool_<g>/dx, avgpool_<g>/y,
avgpool_<g>/dx for g in k2s2p0 and k3s2p1, add/out, scale/out, sgd/param, sgd/buf. Gradients come from autograd with
the upstream gradients in the file; the SGD step is torch.optim.SGD's (PyTorch's default implementation for the
device) from the given momentum buffer.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

# The project's safetensors helpers (the pip package is not installed on every machine).
sys.dont_write_bytecode = True  # no __pycache__ in the folders we import from
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gpu-runtime", "src", "test", "python"))
from torch_reference import read_safetensors, write_safetensors  # noqa: E402

POOLS = {"k2s2p0": (2, 2, 0), "k3s2p1": (3, 2, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--device", default="cuda")
    a = ap.parse_args()
    tensors, meta = read_safetensors(a.inp)
    dtype = {"fp16": torch.float16, "fp32": torch.float32, "fp64": torch.float64}[meta["precision"]]
    dev = torch.device(a.device)

    def t(name, grad=False):
        return torch.tensor(tensors[name], dtype=dtype, device=dev, requires_grad=grad)

    out = {}

    def put(name, v):
        out[name] = v.detach().cpu().numpy()

    x = t("x", True)
    y = F.relu(x)
    y.backward(t("dy"))
    put("relu/y", y)
    put("relu/dx", x.grad)
    for g, (k, s, p) in POOLS.items():
        for op, fn in (("maxpool", F.max_pool2d), ("avgpool", F.avg_pool2d)):
            x = t("x", True)
            y = fn(x, k, s, p) if op == "maxpool" else fn(x, k, s, p, count_include_pad=True)
            y.backward(t("dy_" + g))
            put("%s_%s/y" % (op, g), y)
            put("%s_%s/dx" % (op, g), x.grad)
    put("add/out", t("x") + t("b"))
    put("scale/out", t("x") * float(meta["scale"]))
    param = t("sgd_param", True)
    opt = torch.optim.SGD([param], lr=float(meta["lr"]), momentum=float(meta["momentum"]),
                          weight_decay=float(meta["weight_decay"]))
    opt.state[param]["momentum_buffer"] = t("sgd_buf").clone()
    param.grad = t("sgd_grad")
    opt.step()
    put("sgd/param", param)
    put("sgd/buf", opt.state[param]["momentum_buffer"])
    write_safetensors(a.out, {k: np.asarray(v) for k, v in out.items()},
                      {"torch": torch.__version__, "device": str(dev) + (" " + torch.cuda.get_device_name() if dev.type == "cuda" else "")})
    print("torch_parity.py: %d results (%s, %s) written to %s" % (len(out), meta["precision"], dev, a.out))


if __name__ == "__main__":
    main()
