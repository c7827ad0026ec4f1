"""Trainscape: 3D landscapes of training runs, rendered headless and logged from the training
loop.

- ``render``, ``export``, ``turntable``: the command line program's commands, as functions
  (keyword arguments are its flags); a failure raises ``TrainscapeError`` with its message.
- ``MetricsLogger``: the JSONL every command reads, written from rank 0.
- ``grad_norms(model)``: per-parameter gradient norms named as the gradient flow reads them.
- ``trainscape.wandb.log_landscapes``: 3D media into the active W&B run, in the background.
- ``trainscape.hf.TrainscapeCallback``, ``trainscape.lightning.TrainscapeCallback``.
- ``trainscape.wandb_3d_viz``: a drop-in for nanochat's module of the same name.
"""
from ._cli import TrainscapeError, TrainscapeWarning, binary, export, render, turntable, version
from .metrics import MetricsLogger, grad_norms, process_rank

__version__ = "0.1.0"

__all__ = [
    "MetricsLogger",
    "TrainscapeError",
    "TrainscapeWarning",
    "binary",
    "export",
    "grad_norms",
    "process_rank",
    "render",
    "turntable",
    "version",
]
