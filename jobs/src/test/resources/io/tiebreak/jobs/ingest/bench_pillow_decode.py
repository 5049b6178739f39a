#!/usr/bin/python3
"""What Pillow decodes + resizes per second on the same images as the Java JPEG ingest benchmark.

Per image, the same work as `tiebreak ingest --dataset imagenet --resize R --image-size S`: read the file, decode,
convert to RGB, resize the shorter side to R (Pillow's antialiased BILINEAR, as torchvision's Resize), center-crop
S x S, take the bytes. Runs the whole set REPEATS times with PROCS worker processes and prints images/s per run and
the median. With --dump FILE it also writes the first 64 crops (C x H x W, uint8) for a pixel comparison.

usage: bench_pillow_decode.py ROOT [--resize 72] [--size 64] [--procs 2] [--repeats 5] [--dump FILE]
"""
import argparse, glob, os, statistics, time
from multiprocessing import Pool
import numpy as np
from PIL import Image

def work(args):
    path, r, s = args
    with open(path, "rb") as f:
        img = Image.open(f)
        img = img.convert("RGB")
        w, h = img.size
        if w <= h:
            nw, nh = r, int(r * h / w)
        else:
            nw, nh = int(r * w / h), r
        img = img.resize((nw, nh), Image.BILINEAR)
        top, left = int(round((nh - s) / 2.0)), int(round((nw - s) / 2.0))
        return img.crop((left, top, left + s, top + s)).tobytes()

def main():
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("--resize", type=int, default=72)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--dump")
    a = p.parse_args()
    files = sorted(glob.glob(os.path.join(a.root, "train", "*", "*")))
    jobs = [(f, a.resize, a.size) for f in files]
    rates = []
    with Pool(a.procs) as pool:
        for i in range(a.repeats):
            t = time.perf_counter()
            out = pool.map(work, jobs, chunksize=16)
            dt = time.perf_counter() - t
            rates.append(len(files) / dt)
            print(f"run {i}: {len(files)} images in {dt:.2f} s = {rates[-1]:.1f} images/s")
    print(f"Pillow {Image.__version__}, {a.procs} processes: median {statistics.median(rates):.1f} images/s")
    if a.dump:
        with open(a.dump, "wb") as f:
            for b in out[:64]:  # HWC -> CHW, the layout of the ingested pixels
                f.write(np.frombuffer(b, np.uint8).reshape(a.size, a.size, 3).transpose(2, 0, 1).tobytes())

if __name__ == "__main__":
    main()
