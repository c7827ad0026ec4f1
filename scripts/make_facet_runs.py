#!/usr/bin/env python3
"""Writes Assets/examples/facets/ARM_seedN.jsonl: 3 arms x 3 seeds of per-layer gradient norms.

Small, deterministic JSONL runs (8 layers, 240 steps, logged every 4 steps) for
`render gradient-flow --facet-by-name '(?<arm>\\w+)_seed(?<seed>\\d+)'`: the arms differ in
how the gradient flows through depth (vanilla decays evenly; static_erasure starves the
deep layers; adaptive_erasure has a burst in the middle layers half-way through), the seeds
only in noise. Each row has its curriculum stage (0, 1, 2 over thirds of the run) for
`--stages curriculum/stage_index`. Only the standard library is used.
"""
import json
import math
import os
import random

out_dir = os.path.join(os.path.dirname(__file__), "..", "Assets", "examples", "facets")
os.makedirs(out_dir, exist_ok=True)
layers, steps, every = 8, 240, 4
for arm_index, arm in enumerate(["vanilla", "static_erasure", "adaptive_erasure"]):
    for seed in range(3):
        rng = random.Random(1000 * arm_index + seed)
        with open(os.path.join(out_dir, f"{arm}_seed{seed}.jsonl"), "w") as f:
            for step in range(0, steps, every):
                loss = 2.0 + 3.0 * math.exp(-step / 60) + rng.gauss(0, 0.03)
                # A three-stage curriculum (teacher, mixed, student) for `--stages`.
                row = {"step": step, "train/loss": round(loss, 5), "curriculum/stage_index": step // 80}
                for layer in range(layers):
                    base = 0.8 * math.exp(-step / 90) + 0.15
                    depth = 1.4 * math.exp(-layer / 3.0) + 0.3
                    if arm == "static_erasure":
                        depth *= math.exp(-layer / 2.5)
                    g = base * depth
                    if arm == "adaptive_erasure" and 100 <= step < 160:
                        g *= 1 + 2.5 * math.exp(-((layer - 3.5) ** 2) / 3) * math.sin(math.pi * (step - 100) / 60)
                    row[f"grad_norm/layer_{layer}"] = round(g * (1 + 0.06 * rng.gauss(0, 1)), 6)
                f.write(json.dumps(row) + "\n")
