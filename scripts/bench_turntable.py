#!/usr/bin/env python3
"""Peers of `TrainscapeBenchmarks turntable`: the same three cases with matplotlib (mplot3d
plot_surface / scatter + savefig, Agg) and PyVista (off-screen Plotter.screenshot), each timed per
frame on a subset of the turntable's frames, with peak RSS per case (each case runs in its own
process). Prints the ratios against Trainscape's numbers from the JSON the Swift benchmark writes.

    .venv/bin/python scripts/bench_turntable.py --swift-bin .build-bench/release/TrainscapeBenchmarks \
        [--rounds 3] [--frames 3]

With --swift-bin, every tool runs each case once per round, one after the other, and the best
round of each tool counts: on a shared, noisy machine all tools see the same conditions. Without
it, Trainscape's numbers come from the JSON `TrainscapeBenchmarks turntable` wrote.

PyVista is not a project dependency: `pip install pyvista` (it pulls vtk) into the venv to run it.
Frame 0 of each case is saved as /tmp/<tool>_<case>.png for a side-by-side look.
"""
import argparse
import json
import multiprocessing as mp
import os
import resource
import tempfile
import time

W, H = 1280, 720
TURN_FRAMES = 72


def surface(n):
    import numpy as np
    u = np.linspace(-2, 2, n)
    U, V = np.meshgrid(u, u)
    Z = (0.25 * (U * U + V * V) + 0.35 * np.sin(3 * U) * np.cos(2.5 * V)
         + 0.15 * np.exp(-((U - 0.8) ** 2 + (V + 0.6) ** 2) * 4))
    return U, V, Z


def attention(n=512):
    import numpy as np
    q, k = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    rng = np.random.default_rng(42)
    d = (q - k).astype(float)
    z = np.exp(-d * d / 200) + (k < 4) * 0.6 + 0.05 * rng.random((n, n))
    return k.ravel().astype(float), q.ravel().astype(float), z.ravel()


def azimuths(frames):
    # Same spacing as the 72-frame turntable; a subset of its frames (every 72/frames-th).
    step = TURN_FRAMES // frames
    return [-45 + 360 * (k * step) / TURN_FRAMES for k in range(frames)]


def run_matplotlib(case, frames, outdir, q):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t0 = time.perf_counter()
    fig = plt.figure(figsize=(W / 100, H / 100), dpi=100)
    ax = fig.add_subplot(projection="3d")
    if case.startswith("surface"):
        n = int(case[7:10])
        X, Y, Z = surface(n)
        # Full resolution (matplotlib's default would quietly draw only 50x50).
        m = ax.plot_surface(X, Y, Z, cmap="viridis", rcount=n, ccount=n, linewidth=0, antialiased=False)
        ax.set_xlabel("direction 1"); ax.set_ylabel("direction 2"); ax.set_zlabel("Loss")
        fig.colorbar(m, ax=ax, shrink=0.6, label="Loss")
        ax.set_title(f"Loss landscape {n}x{n}")
    else:
        x, y, z = attention()
        m = ax.scatter(x, y, z, c=z, cmap="viridis", s=1, marker=".", linewidths=0)
        ax.set_xlabel("key"); ax.set_ylabel("query"); ax.set_zlabel("weight")
        fig.colorbar(m, ax=ax, shrink=0.6, label="weight")
        ax.set_title("Attention 512x512")
    setup = time.perf_counter() - t0
    times = []
    for k, az in enumerate(azimuths(frames)):
        t = time.perf_counter()
        ax.view_init(elev=30, azim=az)
        fig.savefig(os.path.join(outdir, f"mpl_{k:03d}.png"), dpi=100)
        times.append(time.perf_counter() - t)
        if k == 0:
            fig.savefig(f"/tmp/matplotlib_{case}.png", dpi=100)
    q.put({"tool": "matplotlib", "case": case, "setup_s": setup, "frame_s": times,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def run_pyvista(case, frames, outdir, q):
    import numpy as np
    import pyvista as pv
    t0 = time.perf_counter()
    p = pv.Plotter(off_screen=True, window_size=(W, H))
    if case.startswith("surface"):
        n = int(case[7:10])
        X, Y, Z = surface(n)
        grid = pv.StructuredGrid(X, Y, Z)
        grid["Loss"] = Z.ravel(order="F")
        p.add_mesh(grid, scalars="Loss", cmap="viridis", smooth_shading=True,
                   scalar_bar_args={"title": "Loss", "vertical": True})
        p.add_title(f"Loss landscape {n}x{n}")
        labels = dict(xtitle="direction 1", ytitle="direction 2", ztitle="Loss")
    else:
        x, y, z = attention()
        cloud = pv.PolyData(np.column_stack([x / 511 * 4 - 2, y / 511 * 4 - 2, z * 2]))
        cloud["weight"] = z
        p.add_points(cloud, scalars="weight", cmap="viridis", point_size=2,
                     scalar_bar_args={"title": "weight", "vertical": True})
        p.add_title("Attention 512x512")
        labels = dict(xtitle="key", ytitle="query", ztitle="weight")
    p.show_grid(**labels)
    p.enable_anti_aliasing("msaa", multi_samples=4)
    p.camera_position = "iso"
    setup = time.perf_counter() - t0
    times = []
    for k, az in enumerate(azimuths(frames)):
        t = time.perf_counter()
        if k > 0:
            p.camera.azimuth = p.camera.azimuth + 360 * (TURN_FRAMES // frames) / TURN_FRAMES
        p.screenshot(os.path.join(outdir, f"pv_{k:03d}.png"))
        times.append(time.perf_counter() - t)
        if k == 0:
            p.screenshot(f"/tmp/pyvista_{case}.png")
    info = p.render_window.ReportCapabilities().splitlines()
    renderer = next((l for l in info if "OpenGL renderer" in l), "?")
    p.close()
    q.put({"tool": "pyvista", "case": case, "setup_s": setup, "frame_s": times, "gl": renderer.strip(),
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def run_trainscape(binary, case, frames):
    """One case of `TrainscapeBenchmarks turntable` in its own process; its RESULT line."""
    import subprocess
    out = subprocess.run([binary, "turntable", "--case", case, "--frames", str(frames)],
                         capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT "))
    return json.loads(line[7:])


def run_peer(tool, case, frames):
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as d:
        q = ctx.Queue()
        target = run_matplotlib if tool == "matplotlib" else run_pyvista
        p = ctx.Process(target=target, args=(case, frames, d, q))
        p.start()
        try:
            r = q.get(timeout=1800)
        except Exception as e:  # noqa: BLE001
            r = {"tool": tool, "case": case, "error": repr(e)}
        p.join()
    if "error" not in r:
        fs = r["frame_s"]
        # Steady state: the first frame pays for the first draw (caches, tessellation).
        r["steady_s_per_frame"] = sum(fs[1:]) / len(fs[1:]) if len(fs) > 1 else fs[0]
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", default="/tmp/trainscape_turntable.json",
                    help="Trainscape's results, when --swift-bin is not given")
    ap.add_argument("--swift-bin", help="TrainscapeBenchmarks binary: run Trainscape's cases here, "
                    "interleaved with the peers, round by round")
    ap.add_argument("--rounds", type=int, default=3,
                    help="with --swift-bin: rounds of every tool; the best round of each counts")
    ap.add_argument("--frames", type=int, default=6, help="frames timed per peer turntable case")
    ap.add_argument("--tools", default="matplotlib,pyvista")
    ap.add_argument("--cases", default="surface200,surface500,points512")
    args = ap.parse_args()
    pairs = {"surface200": "surface200_final", "surface500": "surface500_final", "points512": "points512_final"}
    ours = {}
    if not args.swift_bin and os.path.exists(args.json):
        for c in json.load(open(args.json))["cases"]:
            ours[c["case"]] = c
    rounds = args.rounds if args.swift_bin else 1
    best = {}  # (tool, case) -> best row over the rounds
    for rnd in range(rounds):
        for case in args.cases.split(","):
            # The same machine state for every tool: one after the other, each round.
            if args.swift_bin:
                frames = 1 if case.startswith("points") else 72
                o = run_trainscape(args.swift_bin, pairs[case], frames)
                o["steady_s_per_frame"] = o["seconds_per_frame"]
                print(f"round {rnd + 1}: trainscape {case:10s} {o['seconds_per_frame']:.3f} s/frame "
                      f"({o['frames']} frames, {o['total_s']:.2f} s), peak RSS {o['peak_rss_mb']:.0f} MB", flush=True)
                prev = best.get(("trainscape", case))
                if prev is None or o["seconds_per_frame"] < prev["seconds_per_frame"]:
                    best[("trainscape", case)] = o
            for tool in args.tools.split(","):
                frames = 1 if case.startswith("points") else args.frames
                r = run_peer(tool, case, frames)
                if "error" in r:
                    print(f"{tool:10s} {case:10s} failed: {r['error']}")
                    continue
                fs = r["frame_s"]
                print(f"round {rnd + 1}: {tool:10s} {case:10s} setup {r['setup_s']:.2f} s, first frame {fs[0]:.2f} s, "
                      f"steady {r['steady_s_per_frame']:.3f} s/frame ({len(fs)} frames), peak RSS {r['peak_rss_mb']:.0f} MB"
                      + (f", {r['gl']}" if r.get("gl") else ""), flush=True)
                prev = best.get((tool, case))
                if prev is None or r["steady_s_per_frame"] < prev["steady_s_per_frame"]:
                    best[(tool, case)] = r
    for case in args.cases.split(","):
        if ("trainscape", case) in best:
            ours[pairs[case]] = best[("trainscape", case)]
    if ours:
        note = f"best of {rounds} interleaved rounds each" if rounds > 1 else "one run"
        print(f"\nratios (peer / Trainscape), seconds per frame and peak RSS ({note}):")
        for (tool, case), r in sorted(best.items()):
            o = ours.get(pairs.get(case, ""))
            if tool == "trainscape" or not o:
                continue
            peer = r["steady_s_per_frame"]
            print(f"  {tool:10s} {case:10s} {peer:8.3f} s vs {o['seconds_per_frame']:.3f} s -> "
                  f"{peer / o['seconds_per_frame']:6.1f}x time; RSS {r['peak_rss_mb']:.0f} vs "
                  f"{o['peak_rss_mb']:.0f} MB -> {r['peak_rss_mb'] / o['peak_rss_mb']:.1f}x"
                  + (f"; 72 frames: {peer * 72:.1f} s vs {o['total_s']:.1f} s" if o["frames"] > 1 else ""))


if __name__ == "__main__":
    main()
