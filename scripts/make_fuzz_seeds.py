#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harness (Fuzz/corpus/TARGET/), one folder per entry of
Sources/TrainscapeIO/Fuzzing/ParserEntryPoints.swift: the test fixtures that are small enough,
and small files written here with numpy and h5py the way the tools that make them do.

    .venv/bin/python scripts/make_fuzz_seeds.py

Seeds are kept small (libFuzzer mutates them; -max_len is 64 KiB in scripts/fuzz.sh).
"""
import io
import json
import os
import shutil
import sys

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Tests", "TrainscapeIOTests", "Fixtures")
OUT = os.path.join(ROOT, "Fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def copy(target, *parts):
    src = os.path.join(FIX, *parts)
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    shutil.copy(src, os.path.join(d, os.path.basename(src)))


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    # JSONL: one line, and whole files with nesting, NaN, escapes, a torn last line.
    lines = [
        '{"step": 1, "loss": 2.5, "lr": 0.001}',
        '{"_step": 2, "train/loss": 1.25, "grad_norm": {"layer_0": 0.5, "layer_1": 0.25}}',
        '{"step": 3, "loss": NaN, "acc": Infinity, "name": "r\\u00e9sum\\u00e9 \\ud83d\\ude00"}',
        '{"global_step": 4, "reward": -1e-3, "tags": [1, 2, 3], "ok": true, "none": null}',
    ]
    for i, line in enumerate(lines):
        put("jsonl-line", f"line{i}.json", line)
    put("jsonl-stream", "run.jsonl", "\n".join(lines) + "\n")
    put("jsonl-stream", "torn.jsonl", "\n".join(lines[:2]) + "\n" + lines[2][:20])
    put("jsonl-stream", "crlf.jsonl", "\r\n".join(lines) + "\r\n")
    # CSV metrics.
    copy("csv", "ingest", "lightning_metrics.csv")
    copy("csv", "ingest", "wandb_panel_export.csv")
    copy("csv", "ingest", "wide.csv")
    put("csv", "quoted.csv", 'step,"loss, train",note\n1,0.5,"a ""b"""\n2,,x\n3,nan,\n')
    # trainer_state.json.
    copy("trainer-state", "ingest", "trainer_state.json")
    # TensorBoard event files (with and without recomputed checksums).
    for t in ("tfrecord", "tfrecord-crc"):
        for f in ("events.out.tfevents.scalar", "events.out.tfevents.tensor", "events.out.tfevents.lfs"):
            copy(t, "ingest", f)
    # W&B: the fixture's first 8 KiB (whole blocks are 32 KiB; a prefix keeps seeds small).
    with open(os.path.join(FIX, "ingest", "run-fixture.wandb"), "rb") as f:
        wandb = f.read()
    for t in ("wandb", "wandb-crc"):
        put(t, "run-prefix.wandb", wandb[:8192])
    # NPY: the dtypes and orders numpy writes.
    for name, a in [
        ("f8.npy", np.linspace(0, 1, 12).reshape(3, 4)),
        ("f4-fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))),
        ("i8-3d.npy", np.arange(24, dtype=np.int64).reshape(2, 3, 4)),
        ("f2-big-endian.npy", np.arange(4, dtype=">f2").reshape(2, 2)),
        ("u1.npy", np.arange(9, dtype=np.uint8).reshape(3, 3)),
    ]:
        b = io.BytesIO()
        np.save(b, a)
        put("npy", name, b.getvalue())
    # HDF5: a loss-landscape surface file as plot_surface.py writes it.
    b = io.BytesIO()
    with h5py.File(b, "w") as h:
        x = np.linspace(-1, 1, 5)
        y = np.linspace(-1, 1, 4)
        h["xcoordinates"] = x
        h["ycoordinates"] = y
        h["train_loss"] = np.add.outer(y ** 2, x ** 2)
        h["train_acc"] = np.ones((4, 5))
    put("hdf5-grid", "surface.h5", b.getvalue())
    # Plotly and Object3D: the smaller W&B media fixtures.
    copy("plotly", "trajectory_pca_0_23646319ecdb5d1d603e.plotly.json")
    copy("plotly", "loss_landscape_0_022abc18c0dbca3d297b.plotly.json")
    put("plotly", "tiny.plotly.json", json.dumps({"data": [{"type": "surface", "z": [[1, 2], [3, 4]]}], "layout": {}}))
    copy("object3d", "layer0_head3_4_2225437a89dd3b379087.pts.json")
    put("object3d", "tiny.pts.json", json.dumps({"type": "lidar/beta", "points": [[0, 0, 0, 1], [1, 1, 1, 2]], "boxes": []}))
    # CSV grids.
    put("csv-grid", "grid.csv", "1,2,3\n4,5,6\n")
    put("csv-grid", "nan-crlf.csv", "1.5,nan,-2e3\r\n,4,5\r\n")
    n = sum(len(fs) for _, _, fs in os.walk(OUT))
    print(f"wrote {n} seed files under {os.path.relpath(OUT, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
