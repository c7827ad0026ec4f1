#!/usr/bin/env python3
"""Writes a hyperparameter sweep of small, deterministic training runs for batch tests and demos.

    scripts/make_sweep_runs.py OUTDIR [--runs 40] [--steps 160] [--layers 6] [--seed 1]

Each run is OUTDIR/run_NNN_lr_<lr>.jsonl: loss with warm-up and cosine decay of its learning
rate (log-spaced over the sweep), per-layer and total gradient norms, as Python's json module
writes it. Small on purpose (160 steps x 6 layers is about 40 KB), so a 40-run sweep renders
in seconds per kind. Only the standard library is used.
"""
import argparse
import json
import math
import os
import random


def write_run(path, lr_peak, steps, layers, rng):
    warmup = max(1, steps // 10)
    with open(path, "w") as f:
        for step in range(steps):
            if step < warmup:
                lr = lr_peak * (step + 1) / warmup
            else:
                p = (step - warmup) / max(1, steps - warmup)
                lr = 0.1 * lr_peak + 0.45 * lr_peak * (1 + math.cos(math.pi * p))
            speed = lr_peak / 1e-3
            loss = 2.0 + 5.0 * math.exp(-step * speed / (steps / 4)) + rng.gauss(0, 0.03)
            if lr_peak > 5e-3:  # too large: unstable late in training
                loss += 0.002 * max(0, step - steps // 2)
            row = {"step": step, "train/loss": round(loss, 5), "train/lr": lr}
            total = 0.0
            for layer in range(layers):
                g = (0.8 * math.exp(-step / (steps / 3)) + 0.2) * (1.5 * math.exp(-layer / 3) + 0.3)
                g *= 1 + 0.1 * rng.gauss(0, 1) + 0.3 * speed / 10
                total += g * g
                row[f"grad_norm/layer_{layer}"] = round(g, 6)
            row["grad_norm/total"] = round(math.sqrt(total), 6)
            f.write(json.dumps(row) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--steps", type=int, default=160)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    for i in range(a.runs):
        # Learning rates log-spaced from 1e-4 to 1e-2.
        lr = 10 ** (-4 + 2 * i / max(1, a.runs - 1))
        rng = random.Random(a.seed * 1000 + i)
        write_run(os.path.join(a.outdir, f"run_{i:03d}_lr_{lr:.2e}.jsonl"), lr, a.steps, a.layers, rng)
    print(f"wrote {a.runs} runs to {a.outdir}")


if __name__ == "__main__":
    main()
