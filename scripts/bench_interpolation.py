#!/usr/bin/env python3
"""scipy.interpolate.griddata(method="linear") vs Trainscape's ScatteredInterpolator on the same
random points (10k and 100k) onto a 500 x 500 grid.

Runs the release benchmark (`TrainscapeBenchmarks interpolation --points-dir DIR`), which writes
the points and its own result, then times griddata on those points (best of 3) and checks that
the two results agree. Usage (from the package root, with the venv):

    .venv/bin/python scripts/bench_interpolation.py [--scratch-path .build-rel]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.interpolate import griddata


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scratch-path", default=os.environ.get("TRAINSCAPE_BENCH_SCRATCH", ".build-rel"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["swift", "run", "-c", "release", "--scratch-path", args.scratch_path,
             "TrainscapeBenchmarks", "interpolation", "--points-dir", tmp],
            check=True, capture_output=True, text=True).stdout
        print(out, end="")
        ours = {m.group(1): float(m.group(2))
                for m in re.finditer(r"trainscape linear (\S+): ([0-9.]+) s", out)}
        side = 500
        g = np.linspace(0.0, 1.0, side)
        X, Y = np.meshgrid(g, g)
        for n, label in [(10_000, "10k"), (100_000, "100k")]:
            data = np.fromfile(os.path.join(tmp, f"points_{n}.f64"), dtype="<f8").reshape(3, n)
            pts = np.c_[data[0], data[1]]
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                z = griddata(pts, data[2], (X, Y), method="linear")
                best = min(best, time.perf_counter() - t0)
            mine = np.fromfile(os.path.join(tmp, f"grid_{n}.f64"), dtype="<f8").reshape(side, side)
            same_nan = bool(np.array_equal(np.isnan(mine), np.isnan(z)))
            diff = float(np.nanmax(np.abs(mine - z))) if same_nan else float("nan")
            t = ours[label]
            print(f"griddata linear {label}: scipy {best:.4f} s, trainscape {t:.4f} s, "
                  f"ratio {best / t:.1f} (max |diff| {diff:.2e}, NaN cells agree: {same_nan})")


if __name__ == "__main__":
    sys.exit(main())
