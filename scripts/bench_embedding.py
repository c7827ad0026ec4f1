#!/usr/bin/env python3
"""Python peers of the `embedding` benchmark (Benchmarks/TrainscapeBenchmarks/EmbeddingBenchmark.swift).

  bench_embedding.py generate OUT.bin [ROWS COLS]
      writes the benchmark data set (float64, little-endian, row-major): 10 Gaussian clusters
      in a 32-dimensional latent space, mapped linearly to COLS dimensions, plus noise.
  bench_embedding.py compare DATA.bin ROWS COLS OURS_PCA.bin OURS_TSNE.bin SWIFT_PCA_S SWIFT_TSNE_S
      times sklearn's PCA(n_components=3) and TSNE(n_components=3, random_state=0) on the same
      data, computes the trustworthiness of both 3D t-SNE results (and of both PCA projections),
      and prints a table with seconds and ratios.
  bench_embedding.py compare-umap DATA.bin ROWS COLS OURS_UMAP.bin SWIFT_UMAP_S
      times umap-learn's UMAP(n_components=3, random_state=42) (best of 2 runs in this process,
      so numba's compilation is not counted; a seed makes umap-learn single-threaded) and
      UMAP(n_components=3) unseeded (parallel, one run after the seeded ones), and prints seconds,
      the speed ratio and the trustworthiness (5 neighbours) of ours and theirs.
"""
import sys
import time

import numpy as np


def generate(path, rows=2000, cols=768):
    rng = np.random.default_rng(0)
    latent_dim, clusters = 32, 10
    centres = rng.standard_normal((clusters, latent_dim)) * 3.0
    labels = rng.integers(0, clusters, rows)
    spread = rng.uniform(0.5, 1.5, clusters)
    latent = centres[labels] + rng.standard_normal((rows, latent_dim)) * spread[labels, None]
    mixing = rng.standard_normal((latent_dim, cols)) / np.sqrt(latent_dim)
    x = latent @ mixing + 0.3 * rng.standard_normal((rows, cols))
    x.astype("<f8").tofile(path)


def best_of(n, f):
    best, out = float("inf"), None
    for _ in range(n):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def compare(data, rows, cols, ours_pca, ours_tsne, swift_pca_s, swift_tsne_s):
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE, trustworthiness

    x = np.fromfile(data, dtype="<f8").reshape(rows, cols)
    our_pca = np.fromfile(ours_pca, dtype="<f8").reshape(rows, 3)
    our_tsne = np.fromfile(ours_tsne, dtype="<f8").reshape(rows, 3)

    pca_s, ref_pca = best_of(5, lambda: PCA(n_components=3).fit_transform(x))
    tsne_s, ref_tsne = best_of(1, lambda: TSNE(n_components=3, random_state=0).fit_transform(x))

    tw = lambda y: trustworthiness(x, y, n_neighbors=5)
    print(f"embedding benchmark: {rows} x {cols} -> 3D")
    print(f"{'step':<10} {'Swift s':>9} {'sklearn s':>10} {'speed-up':>9}  {'trust. Swift':>12} {'trust. sklearn':>14}")
    print(f"{'PCA':<10} {swift_pca_s:9.4f} {pca_s:10.4f} {pca_s / swift_pca_s:8.1f}x  "
          f"{tw(our_pca):12.4f} {tw(ref_pca):14.4f}")
    print(f"{'t-SNE':<10} {swift_tsne_s:9.3f} {tsne_s:10.3f} {tsne_s / swift_tsne_s:8.1f}x  "
          f"{tw(our_tsne):12.4f} {tw(ref_tsne):14.4f}")
    print("(sklearn PCA: best of 5, svd_solver='auto' (randomized here); sklearn TSNE: Barnes-Hut, "
          "theta 0.5, one run; trustworthiness with 5 neighbours)")


def compare_umap(data, rows, cols, ours, swift_s):
    import os
    from sklearn.manifold import trustworthiness
    import umap

    x = np.fromfile(data, dtype="<f8").reshape(rows, cols)
    our = np.fromfile(ours, dtype="<f8").reshape(rows, 3)
    first = time.perf_counter()
    ref = umap.UMAP(n_components=3, random_state=42).fit_transform(x)
    first = time.perf_counter() - first
    seeded_s, ref = best_of(2, lambda: umap.UMAP(n_components=3, random_state=42).fit_transform(x))
    parallel_s, ref_par = best_of(1, lambda: umap.UMAP(n_components=3).fit_transform(x))
    tw = lambda y: trustworthiness(x, y, n_neighbors=5)
    print(f"UMAP benchmark: {rows} x {cols} -> 3D on {os.cpu_count()} cores")
    print(f"{'step':<24} {'seconds':>8} {'Swift speed-up':>15} {'trustworthiness':>16}")
    print(f"{'Swift (seed 42)':<24} {swift_s:8.3f} {'':>15} {tw(our):16.4f}")
    print(f"{'umap-learn seed 42':<24} {seeded_s:8.3f} {seeded_s / swift_s:14.1f}x {tw(ref):16.4f}")
    print(f"{'umap-learn unseeded':<24} {parallel_s:8.3f} {parallel_s / swift_s:14.1f}x {tw(ref_par):16.4f}")
    print(f"(umap-learn {umap.__version__}; its first run in this process, with numba's compilation: "
          f"{first:.3f} s; seeded umap-learn is single-threaded, unseeded parallel)")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "generate" and len(sys.argv) in (3, 5):
        generate(sys.argv[2], *(int(a) for a in sys.argv[3:5]))
    elif cmd == "compare" and len(sys.argv) == 9:
        a = sys.argv
        compare(a[2], int(a[3]), int(a[4]), a[5], a[6], float(a[7]), float(a[8]))
    elif cmd == "compare-umap" and len(sys.argv) == 7:
        a = sys.argv
        compare_umap(a[2], int(a[3]), int(a[4]), a[5], float(a[6]))
    else:
        print(__doc__)
        sys.exit(2)
