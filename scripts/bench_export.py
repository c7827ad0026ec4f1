#!/usr/bin/env python3
"""Times plotly.py's figure JSON for a N x N surface (default 1000), to compare with
`swift run -c release TrainscapeBenchmarks export`. Same data as ExportBenchmark.swift.

plain: x/y/z as Python lists, plotly.io.to_json(fig, engine="json") (plain number arrays).
typed: numpy arrays with plotly >= 6 defaults (base64 typed arrays).
Pass the Swift times as --swift-plain S --swift-typed S to print the ratios.
"""
import argparse
import time

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio


def data(n):
    r = np.arange(n)[:, None].astype(float)
    c = np.arange(n)[None, :].astype(float)
    i = r * n + c
    x = np.broadcast_to(c, (n, n)).copy()
    y = np.broadcast_to(1e-4 * 10 ** (2 * r / n), (n, n)).copy()
    z = 2 + np.exp(-c / 200) * (1 + 0.3 * np.sin(r * 0.05)) + 0.01 * np.cos(i * 0.7)
    return x, y, z


def best(f, repeats):
    out, t = None, float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = f()
        t = min(t, time.perf_counter() - t0)
    return t, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--swift-plain", type=float)
    ap.add_argument("--swift-typed", type=float)
    a = ap.parse_args()
    x, y, z = data(a.n)
    print(f"plotly.py {__import__('plotly').__version__}: {a.n}x{a.n} surface, best of {a.repeats}")

    def plain():
        fig = go.Figure(go.Surface(x=x.tolist(), y=y.tolist(), z=z.tolist()))
        return pio.to_json(fig, engine="json")

    def typed():
        fig = go.Figure(go.Surface(x=x, y=y, z=z))
        return fig.to_json()

    for name, f, swift in [("plain arrays", plain, a.swift_plain), ("typed arrays", typed, a.swift_typed)]:
        t, out = best(f, a.repeats)
        line = f"  {name}  {t:.4f} s  {len(out)} bytes"
        if swift:
            line += f"  (trainscape {swift:.4f} s: {t / swift:.1f}x faster)"
        print(line)


if __name__ == "__main__":
    main()
