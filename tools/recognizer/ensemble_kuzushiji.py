#!/usr/bin/env python3
"""The kuzushiji sample's held-out pictures read by each recognizer and by their average.

Writes the 2,000 held-out images (the first 200 of each class, as `fude eval` holds them out) as
PNG files, reads them with `fude predict --json --top 180` once per model (as pictures, the way
`predict` reads a file), and prints each model's top-1 and the top-1 of their averaged
probabilities: how much two networks that read differently would gain together, which is what
`fude train --teacher` tries to carry over to one network. `--blur SIGMA` first blurs each picture
(a Gaussian of SIGMA pixels): how much softer edges than the published pictures' change the
reading (under `--script kuzushiji`, `fude predict` itself softens a picture of 28x28 or less by σ 0.6
since session 26, and `--blur` comes on top of that). Under `--script kuzushiji`, `bundled` reads with the
bundled Kuzushiji reader joining it (session 33), as `predict` does; `models/recognizer` is the same
recognizer read alone. Usage, from the repository root after a release build (`bundled` names the embedded
model):

    tools/recognizer/ensemble_kuzushiji.py [--script kuzushiji] [--blur 0.6] bundled /path/to/other/recognizer
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np

HELD_OUT_PER_CLASS = 200


def held_out_indices(labels, per_class=HELD_OUT_PER_CLASS, classes=None):
    """The indices of each class's first `per_class` pictures in file order (as `fude train` and
    `fude eval` hold out an npz set with `--holdout`), class by class; `classes` defaults to those
    present in `labels`. The kuzushiji tools share this one rule."""
    classes = np.unique(labels) if classes is None else classes
    return np.concatenate([np.where(labels == c)[0][:per_class] for c in classes])


def write_png(path, a):
    h, w = a.shape
    raw = b"".join(b"\x00" + a[i].tobytes() for i in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def blur(a, sigma):
    """`a` (uint8) blurred with a separable Gaussian of `sigma` pixels, zero outside."""
    if sigma <= 0:
        return a
    r = int(3 * sigma) + 1
    x = np.arange(-r, r + 1)
    k = np.exp(-x ** 2 / (2 * sigma ** 2))
    k /= k.sum()
    f = a.astype(np.float32)
    f = np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), 1, f)
    f = np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), 0, f)
    return np.clip(f, 0, 255).astype(np.uint8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--script", default="all")
    ap.add_argument("--blur", type=float, default=0.0)
    ap.add_argument("--fude", default="target/release/fude")
    ap.add_argument("--data", default="../shared/data/kuzushiji-sample")
    a = ap.parse_args()
    imgs = np.load(os.path.join(a.data, "kuzushiji-sample-imgs.npz"))["arr_0"]
    labels = np.load(os.path.join(a.data, "kuzushiji-sample-labels.npz"))["arr_0"]
    with open(os.path.join(a.data, "kuzushiji-sample_classmap.csv"), encoding="utf-8") as f:
        chars = [line.strip().split(",")[2] for line in f.readlines()[1:]]
    held = held_out_indices(labels, classes=range(len(chars)))
    truth = [chars[labels[i]] for i in held]
    with tempfile.TemporaryDirectory() as d:
        names = []
        for k, i in enumerate(held):
            names.append(f"{k:05d}.png")
            write_png(os.path.join(d, names[-1]), blur(imgs[i], a.blur))
        fude = os.path.abspath(a.fude)
        probs = {}
        for m in a.models:
            opt = [] if m == "bundled" else ["--model", os.path.abspath(m)]
            out = subprocess.run([fude, "predict", *opt, "--json", "--top", "180", "--script", a.script, *names],
                                 cwd=d, capture_output=True, text=True, check=True).stdout
            probs[m] = [{t["char"]: t["prob"] for t in json.loads(line)["top"]} for line in out.splitlines()]
    if any(len(p) != len(truth) for p in probs.values()):
        sys.exit("a model did not read every picture")

    def top1(rows):
        return 100.0 * sum(max(r, key=r.get) == t for r, t in zip(rows, truth)) / len(truth)

    for m, rows in probs.items():
        print(f"{m}: {top1(rows):.2f}%")
    mean = [{c: sum(p[k].get(c, 0.0) for p in probs.values()) / len(probs) for c in probs[a.models[0]][k]}
            for k in range(len(truth))]
    print(f"average of the {len(probs)}: {top1(mean):.2f}% ({len(truth)} pictures, --script {a.script}, --blur {a.blur})")


if __name__ == "__main__":
    main()
