#!/usr/bin/env python3
"""Writes the kuzushiji sample with fewer training pictures, for a learning curve.

For each K in the arguments, writes `OUT/sK-imgs.npz`, `OUT/sK-labels.npz` and `OUT/sK_classmap.csv`:
every class's first 200 pictures (the ones `fude train` and `fude eval` hold out, `--holdout 200`)
followed by its next K, in file order, so that every subset is read on the same 2,000 held-out
pictures. Usage, from the repository root (then train on `npz=OUT/sK-imgs.npz,...` alone):

    tools/recognizer/kuzushiji_subsets.py --out /work/runs/lc 75 150 300 600
"""
import argparse
import os
import shutil

import numpy as np

from ensemble_kuzushiji import HELD_OUT_PER_CLASS, held_out_indices


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="+", type=int, help="training pictures per class")
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default="../shared/data/kuzushiji-sample")
    a = ap.parse_args()
    x = np.load(os.path.join(a.data, "kuzushiji-sample-imgs.npz"))["arr_0"]
    y = np.load(os.path.join(a.data, "kuzushiji-sample-labels.npz"))["arr_0"]
    os.makedirs(a.out, exist_ok=True)
    for k in a.sizes:
        keep = np.sort(held_out_indices(y, HELD_OUT_PER_CLASS + k))
        np.savez_compressed(os.path.join(a.out, f"s{k}-imgs.npz"), x[keep])
        np.savez_compressed(os.path.join(a.out, f"s{k}-labels.npz"), y[keep])
        shutil.copy(os.path.join(a.data, "kuzushiji-sample_classmap.csv"), os.path.join(a.out, f"s{k}_classmap.csv"))
        print(f"s{k}: {len(keep)} pictures")


if __name__ == "__main__":
    main()
