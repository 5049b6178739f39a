#!/usr/bin/python3
"""PyTorch's training throughput on a GPU, the same step as `gpu-runtime.jar bench` (and as
gpu-runtime/bench/torch_train_step.py on the CPU, whose models and timing loop this reuses): no batch-norm,
plain max_pool2d, mean cross-entropy, SGD momentum 0.9 weight decay 5e-4, one fixed random batch.

Usage: torch_bench.py --model vgg11 --dtype float16 [--device cuda] [--deterministic] [--no-tf32]
  --deterministic  torch.backends.cudnn.deterministic = True (and cudnn.benchmark off, as by default)
  --no-tf32        true fp32 convolutions and matmuls (PyTorch's default lets cuDNN use TF32 for fp32 convs)
Prints the images/s of each timed window and their median ("median images/s: X"), like the Java bench.
"""
import argparse
import os
import statistics
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the folders we import from
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gpu-runtime", "bench"))
from torch_train_step import training_rates  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["lenet5", "vgg11"], default="vgg11")
    ap.add_argument("--dtype", choices=["float16", "float32", "float64"], default="float32")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--deterministic", action="store_true")
    ap.add_argument("--no-tf32", action="store_true")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--windows", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    a = ap.parse_args()
    dev = torch.device(a.device)
    torch.backends.cudnn.deterministic = a.deterministic
    torch.backends.cudnn.benchmark = False
    if a.no_tf32:
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    rates = training_rates(a.model, getattr(torch, a.dtype), dev, a.batch, a.warmup, a.windows, a.steps)
    name = torch.cuda.get_device_name() if dev.type == "cuda" else "cpu"
    print("torch %s on %s model=%s dtype=%s batch=%d deterministic=%s tf32=%s" % (
        torch.__version__, name, a.model, a.dtype, a.batch, a.deterministic,
        (not a.no_tf32) and dev.type == "cuda"))
    print("windows images/s: %s" % [round(r, 1) for r in rates])
    print("median images/s: %.1f" % statistics.median(rates))


if __name__ == "__main__":
    main()
