#!/usr/bin/python3
"""PyTorch CPU training throughput, the same step as `gpu-runtime.jar bench`: LeNet-5 (1x28x28) or VGG11 (3x32x32),
no batch-norm, plain max_pool2d, mean cross-entropy, SGD momentum 0.9 weight decay 5e-4, a fixed random batch.
Prints the images/s of each timed window and their median."""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet5(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(256, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2, 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2, 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class VGG11(nn.Module):
    CFG = [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M']

    def __init__(self, classes=10):
        super().__init__()
        layers, c = [], 3
        for v in self.CFG:
            if v == 'M':
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(512, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def training_rates(model_name, dtype, device, batch, warmup, windows, steps):
    """Images/s of each timed window of the training step on one fixed random batch (seed 0), after warm-up."""
    torch.manual_seed(0)
    model = (LeNet5() if model_name == 'lenet5' else VGG11()).to(device=device, dtype=dtype)
    shape = (batch, 1, 28, 28) if model_name == 'lenet5' else (batch, 3, 32, 32)
    x = (torch.rand(shape) * 2 - 1).to(device=device, dtype=dtype)
    y = torch.randint(0, 10, (batch,)).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize()

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    rates = []
    for _ in range(windows):
        sync()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        rates.append(steps * batch / (time.perf_counter() - t0))
    return rates


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', choices=['lenet5', 'vgg11'], default='lenet5')
    ap.add_argument('--dtype', choices=['float32', 'float64'], default='float32')
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--windows', type=int, default=5)
    ap.add_argument('--steps', type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    rates = training_rates(a.model, getattr(torch, a.dtype), torch.device('cpu'), a.batch, a.warmup, a.windows, a.steps)
    print('torch %s model=%s dtype=%s batch=%d threads=%d' % (torch.__version__, a.model, a.dtype, a.batch, a.threads))
    print('windows images/s: %s' % [round(r, 1) for r in rates])
    print('median images/s: %.1f' % statistics.median(rates))


if __name__ == '__main__':
    main()
