#!/usr/bin/env python3
"""Writes the bundled table-log example: an RL reward-hacking study, 3 arms x 3 seeds.

    scripts/make_dynamics_logs.py [OUTDIR] [--seed 7] [--steps 1000] [--every 10]

OUTDIR defaults to Assets/examples/dynamics. Each run is OUTDIR/<arm>_seed<N>.log, written
through loguru exactly as a training script does (loguru's default line format,
`TIME | LEVEL    | module:function:line - message`), with a fake clock so the files are the
same on every run of this script:

- an argv line (`train.py arm=vanilla seed=0 intervention=none --lr=1e-05 --batch-size 28`)
  and a preset line (`preset: rl_hack_small kl_coef=0.02 rollouts=28 ...`);
- a per-step table every `--every` steps, its header reprinted every 25 rows:
  `step  loss↓  hack_s?  hacks  gt_s  cos_pre_t  cos_pre_s  kl_ok` where `hacks` is a
  fraction of the 28 rollouts (`7/28`), `gt_s` is only evaluated every 50 steps (`-`
  otherwise), `cos_pre_s` is `nan` until the student probe is fitted, and `kl_ok` is `T`/`F`;
- one run (adaptive_erasure seed 2) adds the columns `erase_rank` and `kl` halfway through,
  with a new header, and another (static_erasure seed 1) logs `kl` from the start;
- other log lines between the rows (model loading, checkpoints, a warning).

The dynamics: hacking (`hack_s > 0`) starts around step 300 in `vanilla`, around 600 with
static erasure, and in only one seed of adaptive erasure (near step 850); the ground-truth
score `gt_s` falls once a run hacks. Needs loguru (scripts/requirements.txt).
"""
import argparse
import datetime
import math
import os
import random
import sys

from loguru import logger

ARMS = {
    # arm: (intervention, onset mean, onset spread, hack ceiling, seeds that hack)
    "vanilla": ("none", 300, 60, 0.85, (0, 1, 2)),
    "static_erasure": ("static", 600, 80, 0.45, (0, 1, 2)),
    "adaptive_erasure": ("adaptive", 850, 30, 0.30, (1,)),
}
ROLLOUTS = 28


class Clock:
    """A fake wall clock: each log line advances it by a deterministic amount."""

    def __init__(self, start, rng):
        self.t = start
        self.rng = rng

    def tick(self, seconds):
        self.t += datetime.timedelta(seconds=seconds * (0.9 + 0.2 * self.rng.random()))
        return self.t.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (self.t.microsecond // 1000)


def header(extra):
    cols = ["step", "loss↓", "hack_s?", "hacks", "gt_s", "cos_pre_t", "cos_pre_s", "kl_ok"] + extra
    widths = [6, 8, 8, 7, 7, 10, 10, 6] + [11] * len(extra)
    return " ".join(c.rjust(w) for c, w in zip(cols, widths))


def train(log, arm, seed, steps, every, rng):
    intervention, onset_mu, onset_sd, ceiling, hackers = ARMS[arm]
    hacks = seed in hackers
    onset = onset_mu + rng.gauss(0, onset_sd) if hacks else None
    kl_from_start = arm == "static_erasure" and seed == 1
    extra_from = steps // 2 if (arm == "adaptive_erasure" and seed == 2) else None
    lr = 1e-5
    log("argv: train.py arm=%s seed=%d intervention=%s --lr=%g --batch-size %d --max-steps=%d"
        % (arm, seed, intervention, lr, ROLLOUTS, steps), 1.5)
    log("preset: rl_hack_small kl_coef=0.02 rollouts=%d probe=linear eval_every=50" % ROLLOUTS, 0.1)
    log("Loading model Qwen2.5-0.5B-Instruct (bf16) ...", 0.2)
    log("Model loaded in 41.3s; 494,032,768 parameters", 41.3)
    extra = ["kl"] if kl_from_start else []
    rows = 0
    warned = False
    probe_fit = 60 + rng.randrange(0, 3) * every
    gt0 = 0.55 + 0.05 * rng.random()
    for step in range(0, steps + 1, every):
        if extra_from is not None and step >= extra_from and "erase_rank" not in extra:
            extra = ["erase_rank", "kl"]
            log("Adaptive erasure: rank schedule on, logging erase_rank and kl", 0.1)
            rows = 0
        if rows % 25 == 0:
            log(header(extra), 0.05)
        rows += 1
        # Hacking: a logistic rise after the onset.
        if onset is not None and step >= onset:
            h = ceiling / (1 + math.exp(-(step - onset - 80) / 45)) + rng.gauss(0, 0.02)
            h = max(0.01, h)
        else:
            h = 0.0
        rate = min(1.0, h * 1.1)
        k = sum(rng.random() < rate for _ in range(ROLLOUTS))
        loss = 2.4 * math.exp(-step / 400) + 0.6 + rng.gauss(0, 0.03) - 0.15 * h
        gt = gt0 + 0.25 * (1 - math.exp(-step / 300)) - 0.5 * h + rng.gauss(0, 0.015)
        cos_t = 0.1 + 0.5 * (1 - math.exp(-step / 250)) + rng.gauss(0, 0.02)
        cos_s = 0.05 + 0.4 * h + 0.2 * (1 - math.exp(-step / 500)) + rng.gauss(0, 0.02)
        kl_val = 0.002 + 0.03 * h + abs(rng.gauss(0, 0.002))
        cells = [
            "%6d" % step,
            "%8.4f" % loss,
            "%8.3f" % h,
            ("%d/%d" % (k, ROLLOUTS)).rjust(7),
            ("%7.3f" % gt) if step % 50 == 0 else "-".rjust(7),
            "%10.4f" % cos_t,
            ("%10.4f" % cos_s) if step >= probe_fit else "nan".rjust(10),
            ("T" if kl_val < 0.02 else "F").rjust(6),
        ]
        for c in extra:
            if c == "kl":
                cells.append("%11.5f" % kl_val)
            elif c == "erase_rank":
                cells.append(("%d" % (4 + (step - extra_from) // 100)).rjust(11))
        log(" ".join(cells), 20.0)
        if step > 0 and step % 250 == 0:
            log("saved checkpoint to ckpt/%s_seed%d/step_%06d.pt" % (arm, seed, step), 2.0)
        if h > 0 and not warned:
            warned = True
            log("hack_s above 0 for the first time (%.3f, %d/%d rollouts hacked)" % (h, k, ROLLOUTS), 0.01, "WARNING")
    log("Training done: %d steps" % steps, 0.5, "SUCCESS")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("outdir", nargs="?", default=os.path.normpath(os.path.join(here, "..", "Assets", "examples", "dynamics")))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--every", type=int, default=10)
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    logger.remove()
    for arm in ARMS:
        for seed in range(3):
            rng = random.Random("%d/%s/%d" % (args.seed, arm, seed))
            clock = Clock(datetime.datetime(2025, 3, 2, 14, 21, 7) + datetime.timedelta(hours=seed), rng)
            path = os.path.join(args.outdir, "%s_seed%d.log" % (arm, seed))
            if os.path.exists(path):
                os.remove(path)
            sink = logger.add(
                path, format="{extra[clock]} | {level: <8} | {name}:{function}:{line} - {message}",
                level="DEBUG", colorize=False, encoding="utf-8")

            def log(message, seconds, level="INFO"):
                # Our own frame, not log()'s, is the location loguru prints.
                logger.bind(clock=clock.tick(seconds)).opt(depth=1).log(level, message)

            train(log, arm, seed, args.steps, args.every, rng)
            logger.remove(sink)
            print(path)


if __name__ == "__main__":
    sys.exit(main())
