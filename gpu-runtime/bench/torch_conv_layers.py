#!/usr/bin/python3
"""PyTorch CPU (oneDNN) time and GFLOP/s of single convolution layers, forward and backward (dx, dw, db), at batch
128: the layers of KernelBenchmarks' convForward and convBackward (JMH), so that each of our layers can be set against
oneDNN's and against the machine's peak (`peak_flops.sh`). Prints one line per layer: the median of timed repeats.

Usage: OMP_NUM_THREADS=2 /usr/bin/python3 torch_conv_layers.py --threads 2 [--layers vgg1,vgg3,vgg5,vgg8]"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F

# in, out, kernel, pad, size: as in KernelBenchmarks.Conv
LAYERS = {
    "lenet1": (1, 6, 5, 0, 28),
    "lenet2": (6, 16, 5, 0, 12),
    "vgg1": (3, 64, 3, 1, 32),
    "vgg3": (64, 128, 3, 1, 16),
    "vgg5": (256, 256, 3, 1, 8),
    "vgg8": (512, 512, 3, 1, 2),
}


def median_ms(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--layers", default=",".join(LAYERS))
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    print(f"torch {torch.__version__}, threads {a.threads}, batch {a.batch}, fp32")
    print(f"{'layer':7} {'fwd ms':>8} {'fwd GFLOP/s':>12} {'bwd ms':>8} {'bwd GFLOP/s':>12}")
    for name in a.layers.split(","):
        cin, cout, k, pad, hw = LAYERS[name]
        x = torch.empty(a.batch, cin, hw, hw).uniform_(-1, 1).requires_grad_()
        w = torch.empty(cout, cin, k, k).uniform_(-1, 1).requires_grad_()
        b = torch.empty(cout).uniform_(-1, 1).requires_grad_()
        ho = hw + 2 * pad - k + 1
        dy = torch.empty(a.batch, cout, ho, ho).uniform_(-1, 1)
        flops = 2.0 * a.batch * cout * ho * ho * cin * k * k  # one product; backward is two (dx and dw)

        def forward():
            with torch.no_grad():
                F.conv2d(x, w, b, padding=pad)

        y = F.conv2d(x, w, b, padding=pad)

        def backward():
            torch.autograd.grad(y, (x, w, b), dy, retain_graph=True)

        f = median_ms(forward, a.warmup, a.repeats)
        g = median_ms(backward, a.warmup, a.repeats)
        print(f"{name:7} {f:8.3f} {flops / f / 1e6:12.1f} {g:8.3f} {2 * flops / g / 1e6:12.1f}")


if __name__ == "__main__":
    main()
