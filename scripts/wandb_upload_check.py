#!/usr/bin/env python3
"""Logs Trainscape exports to W&B the way the README shows, offline, to check wandb accepts them.

usage: wandb_upload_check.py FIGURE.plotly.json OBJECT.{pts.json,glb} [...] PAGE.html

Runs with WANDB_MODE=offline and WANDB_DIR in a temporary directory unless they are set.
Prints one line per file logged and "ok" at the end; any rejection raises.
"""
import os
import sys
import tempfile

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
tmp = tempfile.mkdtemp(prefix="trainscape-wandb-")
os.environ.setdefault("WANDB_DIR", tmp)

import plotly.io  # noqa: E402
import wandb  # noqa: E402


def media(path):
    # The three lines the README shows:
    if path.endswith(".html"):
        return wandb.Html(path)
    if path.endswith(".pts.json") or path.endswith(".glb"):
        return wandb.Object3D.from_file(path)
    return wandb.Plotly(plotly.io.read_json(path))


def main(paths):
    run = wandb.init(mode="offline", project="trainscape-export-check", dir=os.environ["WANDB_DIR"])
    for i, path in enumerate(paths):
        run.log({f"export_{i}": media(path)})
        print("logged", path)
    run.finish()
    print("ok")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
