#!/usr/bin/python3
"""Writes an ImageNet-shaped tree of synthetic photo-like JPEGs for the ingest benchmark.

ROOT/train/nXXXXXXXX/nXXXXXXXX_K.JPEG, sizes and quality like ILSVRC2012 train (mostly 500 x 375 / 375 x 500 /
500 x 333, quality 90, about 100 KB): smooth random fields (upsampled noise) plus fine grain, so the entropy decoder
works about as hard as on photos. Also writes, outside train/, nothing else: the benchmark must see only good images.

usage: make_bench_jpegs.py ROOT [CLASSES=10] [PER_CLASS=100]
"""
import sys
import numpy as np
from PIL import Image

root = sys.argv[1]
classes = int(sys.argv[2]) if len(sys.argv) > 2 else 10
per_class = int(sys.argv[3]) if len(sys.argv) > 3 else 100
rng = np.random.default_rng(2012)
sizes = [(500, 375), (375, 500), (500, 333), (500, 400), (640, 480)]
import os
total = 0
for c in range(classes):
    wnid = "n%08d" % (1440764 + c * 1000)
    os.makedirs(f"{root}/train/{wnid}", exist_ok=True)
    for k in range(per_class):
        w, h = sizes[rng.integers(len(sizes))]
        low = rng.random((h // 24 + 2, w // 24 + 2, 3)) * 255
        img = Image.fromarray(low.astype("uint8")).resize((w, h), Image.BICUBIC)
        a = np.asarray(img).astype(np.float32) + rng.normal(0, 9, (h, w, 3))
        Image.fromarray(np.clip(a, 0, 255).astype("uint8")).save(f"{root}/train/{wnid}/{wnid}_{k}.JPEG", quality=90)
        total += 1
print(total, "images under", root)
