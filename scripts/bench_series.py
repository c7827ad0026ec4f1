"""numpy timings for the operations of `TrainscapeBenchmarks series` (same sizes, similar data).

    .venv/bin/python scripts/bench_series.py [POINTS] [REPEATS]

EMA uses scipy.signal.lfilter (the recurrence s_t = a x_t + (1 - a) s_{t-1} on finite data;
the NaN-holding rule of SeriesOps.ema has no vectorised numpy form), resampling np.interp,
LTTB a per-bucket numpy loop, min/max per-bucket np.nanargmin / np.nanargmax.
"""
import math
import sys
import time

import numpy as np
from scipy.signal import lfilter


def lttb(x, y, threshold):
    n = len(y)
    every = (n - 2) / (threshold - 2)
    a = 0
    out = [0]
    for i in range(threshold - 2):
        s = int(math.floor((i + 1) * every)) + 1
        e = min(int(math.floor((i + 2) * every)) + 1, n)
        avg_x, avg_y = x[s:e].mean(), y[s:e].mean()
        r0, r1 = int(math.floor(i * every)) + 1, int(math.floor((i + 1) * every)) + 1
        areas = np.abs((x[a] - avg_x) * (y[r0:r1] - y[a]) - (x[a] - x[r0:r1]) * (avg_y - y[a]))
        a = r0 + int(np.argmax(areas))
        out.append(a)
    out.append(n - 1)
    return out


def minmax(v, max_points):
    n = len(v)
    buckets, m = (max_points - 2) // 2, n - 2
    out = [0]
    for b in range(buckets):
        s, e = 1 + b * m // buckets, 1 + (b + 1) * m // buckets
        seg = v[s:e]
        lo, hi = s + int(np.nanargmin(seg)), s + int(np.nanargmax(seg))
        out.extend(sorted({lo, hi}))
    out.append(n - 1)
    return out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    rng = np.random.default_rng(0)
    steps = np.cumsum(1 + rng.integers(0, 3, n)).astype(np.int64)
    walk = np.cumsum(rng.random(n) - 0.5)
    x = steps.astype(float)
    grid = np.linspace(x[0], x[-1], n)
    alpha = 2 / (100 + 1)

    def time_it(name, fn):
        best = math.inf
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t)
        print(f"  {name:<30}{best * 1e3:9.2f} ms  {n / best / 1e6:8.1f} Mpoints/s")

    print(f"series (numpy): {n} points, best of {repeats}")
    time_it("ema span=100 (lfilter)", lambda: lfilter([alpha], [1, alpha - 1], walk, zi=[(1 - alpha) * walk[0]]))
    time_it(f"resample onto {n} points", lambda: np.interp(grid, x, walk, left=np.nan, right=np.nan))
    time_it("lttb threshold=2000", lambda: lttb(x, walk, 2000))
    time_it("minMax maxPoints=2000", lambda: minmax(walk, 2000))


if __name__ == "__main__":
    main()
