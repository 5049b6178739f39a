#!/usr/bin/python3
"""The 48 runs of jobs/bench/lenet48.yaml as a plain PyTorch loop: the baseline for tiebreak's sweep throughput.

Each run: LeNet-5 (docs/design.md, "Models"; batch-norm off or on), one epoch over the 60000 Fashion-MNIST training images
(batch 128, shuffled, normalized 0.5/0.5), then the 10000 test images (batch 100); SGD (momentum 0.9, weight decay
5e-4; lr 0.01) or Adam (lr 0.001); the MaxPool in the reference study's composite form
B * minpool(x) + (1 - B) * maxpool(x), where maxpool is PyTorch's (all of the gradient to the first maximum) and
minpool has the same forward with the minimal-norm backward (gradient shared equally by the tied maxima).
Runs one after another with torch's default threads (--threads to change), as a researcher's loop would. Prints one line per run and a summary.
--shard K/N runs every N-th run from the K-th: N such processes side by side split the grid (jobs/bench/compare_sweep.sh
runs two of one thread each, the fair baseline for a sweep on two cores).

    /usr/bin/python3 jobs/bench/torch_loop.py [--data /usr/share/datasets/fashion-mnist] [--runs 48] [--threads N] [--shard K/N]
"""
import argparse
import gzip
import itertools
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(root, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(root, prefix + "-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(root, prefix + "-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - 0.5) / 0.5, torch.from_numpy(y.astype(np.int64))


class MinNormPool(torch.autograd.Function):
    """2x2/2 max pooling whose backward shares the gradient equally among the tied maxima of each window."""

    @staticmethod
    def forward(ctx, x):
        m = F.max_pool2d(x, 2, 2)
        ctx.save_for_backward(x, m)
        return m

    @staticmethod
    def backward(ctx, g):
        x, m = ctx.saved_tensors
        h, w = m.shape[-2] * 2, m.shape[-1] * 2
        xs = x[..., :h, :w]
        ties = (xs == F.interpolate(m, scale_factor=2, mode="nearest")).to(g.dtype)
        k = F.avg_pool2d(ties, 2, 2) * 4
        share = F.interpolate(g / k, scale_factor=2, mode="nearest") * ties
        dx = torch.zeros_like(x)
        dx[..., :h, :w] = share
        return dx


class BetaPool(nn.Module):
    def __init__(self, beta):
        super().__init__()
        self.beta = beta

    def forward(self, x):
        return self.beta * MinNormPool.apply(x) + (1 - self.beta) * F.max_pool2d(x, 2, 2)


def lenet(batch_norm, beta, classes=10):
    bn2 = (lambda c: nn.BatchNorm2d(c)) if batch_norm else (lambda c: nn.Identity())
    bn1 = (lambda c: nn.BatchNorm1d(c)) if batch_norm else (lambda c: nn.Identity())
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), BetaPool(beta), bn2(6),
        nn.Conv2d(6, 16, 5), nn.ReLU(), BetaPool(beta), bn2(16),
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), bn1(120),
        nn.Linear(120, 84), nn.ReLU(), bn1(84), nn.Linear(84, classes))


def run(train, test, batch_norm, optimizer, beta, seed):
    torch.manual_seed(seed)
    model = lenet(batch_norm, beta)
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=0.001)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=1)
    x, y = train
    t0 = time.perf_counter()
    model.train()
    order = torch.randperm(len(y))
    for i in range(0, len(y), 128):
        idx = order[i:i + 128]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    sched.step()
    model.eval()
    correct = 0
    with torch.no_grad():
        tx, ty = test
        for i in range(0, len(ty), 100):
            correct += (model(tx[i:i + 100]).argmax(1) == ty[i:i + 100]).sum().item()
    return correct / len(ty), time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--runs", type=int, default=48, help="run only the first N of the 48 (default all)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads (default: torch's own choice; on a loaded machine more threads than free cores"
                        " can be far slower)")
    p.add_argument("--shard", default="0/1", help="K/N: run only the runs whose index is K modulo N (default 0/1: all)")
    a = p.parse_args()
    try:
        shard, shards = (int(v) for v in a.shard.split("/"))
        if not 0 <= shard < shards:
            raise ValueError
    except ValueError:
        p.error(f"--shard: expected K/N with 0 <= K < N, got {a.shard!r}")
    if a.threads is not None:
        torch.set_num_threads(a.threads)
    a.threads = torch.get_num_threads()
    start = time.perf_counter()
    train, test = load(a.data, "train"), load(a.data, "test")
    grid = list(itertools.product([False, True], ["sgd", "adam"], [0, 1, 10, 100, 1000, 10000], [0, 1]))[:a.runs]
    grid = grid[shard::shards]
    trained = 0.0
    for n, (bn, opt, beta, seed) in enumerate(grid, 1):
        acc, secs = run(train, test, bn, opt, beta, seed)
        trained += secs
        print(f"run {n}/{len(grid)} bn={bn} {opt} B={beta} seed={seed}: test accuracy {acc:.4f} in {secs:.1f}s",
              flush=True)
    wall = time.perf_counter() - start
    print(f"torch {torch.__version__}, {a.threads} threads: {len(grid)} runs in {wall:.1f}s "
          f"({len(grid) * 3600 / wall:.1f} runs/hour); training {trained:.1f}s, other {wall - trained:.1f}s "
          f"({100 * (wall - trained) / wall:.1f}%)")


if __name__ == "__main__":
    main()
