#!/usr/bin/env python3
"""Writes Assets/examples/nanochat_d12.jsonl: a realistic, deterministic training log.

1200 steps of a 12-layer model: loss with warm-up and cosine decay of the learning rate,
global and per-layer gradient norms (larger in early layers, a spike at step 640, a
non-finite norm at two steps as after an fp16 overflow), written as Python's json module
writes it (NaN tokens included), so it exercises what real logs contain.
Only the standard library is used.
"""
import json
import math
import os
import random

random.seed(20251025)
steps, layers = 1200, 12
warmup, peak_lr, min_lr = 100, 3e-4, 3e-5
out = os.path.join(os.path.dirname(__file__), "..", "Assets", "examples", "nanochat_d12.jsonl")
with open(out, "w") as f:
    for step in range(steps):
        if step < warmup:
            lr = peak_lr * (step + 1) / warmup
        else:
            p = (step - warmup) / (steps - warmup)
            lr = min_lr + 0.5 * (peak_lr - min_lr) * (1 + math.cos(math.pi * p))
        loss = 2.1 + 8.4 * math.exp(-step / 160) + 0.35 * math.exp(-step / 700)
        loss += random.gauss(0, 0.04 + 0.1 * math.exp(-step / 300))
        if 640 <= step < 660:
            loss += 0.25 * math.exp(-(step - 640) / 6)
        row = {"step": step, "train/loss": round(loss, 5), "train/lr": lr}
        total = 0.0
        for layer in range(layers):
            base = 0.9 * math.exp(-step / 350) + 0.18
            depth = 1.6 * math.exp(-layer / 4.0) + 0.35
            g = base * depth * (1 + 0.08 * random.gauss(0, 1))
            if 640 <= step < 650:
                g *= 1 + 3.0 * math.exp(-(step - 640) / 3) * math.exp(-layer / 6)
            if step in (233, 234) and layer == 7:
                g = float("nan")
            else:
                total += g * g
            row[f"grad_norm/layer_{layer}"] = round(g, 6) if math.isfinite(g) else g
        row["grad_norm/total"] = round(math.sqrt(total), 6)
        row["tokens_per_sec"] = round(52000 + random.gauss(0, 800), 1)
        f.write(json.dumps(row) + "\n")
print("wrote", os.path.normpath(out))


def write_sweep():
    """Assets/examples/sweep/lr_*.jsonl: a learning-rate sweep of five short runs (logged every
    4 steps), where too small a rate learns slowly and too large a rate diverges."""
    rng = random.Random(7)
    folder = os.path.join(os.path.dirname(__file__), "..", "Assets", "examples", "sweep")
    os.makedirs(folder, exist_ok=True)
    for lr_text in ["1e-4", "3e-4", "1e-3", "3e-3", "1e-2"]:
        lr = float(lr_text)
        speed = lr / 1e-3
        with open(os.path.join(folder, f"lr_{lr_text}.jsonl"), "w") as f:
            for step in range(0, 800, 4):
                loss = 2.0 + 6.0 * math.exp(-step * speed / 150)
                if lr >= 1e-2:  # too large: unstable late in training
                    loss += 0.004 * max(0, step - 300) ** 1.1 / 10
                loss += rng.gauss(0, 0.03)
                f.write(json.dumps({"step": step, "train/loss": round(loss, 5), "train/lr": lr}) + "\n")


def write_rl():
    """Assets/examples/rl_grpo.jsonl: an RL fine-tuning run with loss, gradient norm and reward."""
    rng = random.Random(11)
    out_rl = os.path.join(os.path.dirname(__file__), "..", "Assets", "examples", "rl_grpo.jsonl")
    with open(out_rl, "w") as f:
        for step in range(300):
            progress = step / 300
            reward = 0.15 + 0.6 * (1 - math.exp(-step / 90)) + 0.05 * math.sin(step / 17) + rng.gauss(0, 0.04)
            loss = 1.2 * math.exp(-step / 120) + 0.3 + 0.1 * math.sin(step / 23) + rng.gauss(0, 0.05)
            grad = 0.8 * math.exp(-step / 150) + 0.2 + abs(rng.gauss(0, 0.05))
            f.write(json.dumps({"step": step, "loss": round(loss, 5), "reward": round(reward, 5),
                                "grad_norm": round(grad, 5), "kl": round(0.02 * progress, 6)}) + "\n")


write_sweep()
write_rl()
