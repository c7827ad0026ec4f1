"""3D landscapes into the active W&B run, from inside the training loop.

    trainscape.wandb.log_landscapes(wandb.run, "run/metrics.jsonl", step=step)

logs, for each kind, an interactive ``wandb.Plotly`` figure (plain number arrays, which the W&B
panel draws) under ``3d/<kind>/plotly`` and the rendered PNG as ``wandb.Image`` under
``3d/<kind>/image``; attention maps as a ``wandb.Object3D`` point cloud under
``3d/attention/points``; with ``turntable=True`` an orbiting GIF as ``wandb.Video`` under
``3d/<kind>/turntable``. The binary runs in a background thread: the call returns at once, a
failure is a warning, never an exception in the training loop.

W&B drops rows logged with an explicit ``step=`` lower than its current step, and the media are
ready only after training has moved on; so they are logged without one, with the training step
under ``step_key`` (default ``trainscape/step``; the callbacks use their framework's own global
step key), which ``define_metric`` makes their x axis.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

from . import _background
from ._background import DEFAULT_KINDS, Request, Sink, failed_future, flush, submit
from .metrics import process_rank

__all__ = ["DEFAULT_KINDS", "flush", "log_landscapes"]


class WandbSink(Sink):
    """Logs the files of a request to a W&B run in one ``run.log`` call."""

    def __init__(self, run: Any, step_key: Optional[str]) -> None:
        self.run = run
        self.step_key = step_key
        self._defined: set = set()

    def deliver(self, request: Request, files: Dict[str, Tuple[str, Path]]) -> Dict[str, Path]:
        import wandb  # noqa: PLC0415

        row: Dict[str, Any] = {}
        for key, (medium, path) in files.items():
            if medium == "plotly":
                import plotly.io  # noqa: PLC0415

                row[key] = wandb.Plotly(plotly.io.read_json(os.fspath(path)))
            elif medium == "object3d":
                row[key] = wandb.Object3D.from_file(os.fspath(path))
            elif medium == "image":
                row[key] = wandb.Image(os.fspath(path))
            else:
                row[key] = wandb.Video(os.fspath(path), format=path.suffix.lstrip("."))
        if self.step_key and request.step is not None:
            if request.prefix not in self._defined:
                self.run.define_metric(f"{request.prefix}*", step_metric=self.step_key)
                self._defined.add(request.prefix)
            row[self.step_key] = request.step
        self.run.log(row)
        return {k: p for k, (_, p) in files.items()}


_sinks: Dict[Tuple[int, Optional[str]], WandbSink] = {}


def log_landscapes(run: Any = None, source: Any = None, kinds: Any = DEFAULT_KINDS,
                   step: Any = None, prefix: str = "3d/", *, final: bool = False,
                   media: Any = None, turntable: Any = False,
                   options: Optional[Mapping[str, Mapping[str, Any]]] = None,
                   step_key: Optional[str] = "trainscape/step", wait: Optional[bool] = None,
                   skip_when_behind: bool = True, **common: Any):
    """Logs 3D media of ``source`` into the W&B ``run`` (default: ``wandb.run``) in the background.

    - ``source``: the metrics file (any format Trainscape reads; a ``MetricsLogger`` is flushed
      first), or a list of files (a learning-rate sweep for ``loss-landscape``), or an ``.npy``
      for ``attention``/``embedding``.
    - ``kinds``: any of gradient-flow, loss-landscape, reward-landscape, trajectory, histogram,
      attention, embedding (default: gradient-flow, loss-landscape, trajectory).
    - ``media``: any of plotly, object3d, image, turntable (default: plotly and image; attention:
      object3d and image); ``turntable=True`` (or a dict of turntable flags such as
      ``{"frames": 72}``) adds the GIF.
    - ``options``: flags per kind, ``{"gradient-flow": {"log_z": "on"}}``; other keyword
      arguments are flags for every kind (``size=(1280, 720)``, ``colormap="magma"``).
    - ``final=True`` logs the whole history under ``final/`` (instead of ``prefix``) and waits
      for it (``wait``), for the end of training, before ``wandb.finish()``.
    - ``skip_when_behind``: when the previous request for the same run, prefix, source and kinds
      is still waiting (rendering is slower than the logging interval), the new one replaces it,
      with a warning; False queues every request.

    Returns a ``concurrent.futures.Future`` of ``{key: file}`` for what was logged (``{}`` when
    nothing was). Runs only in the process of rank 0; elsewhere it does nothing.
    """
    if process_rank() != 0:
        f = _background.Future()
        f.set_result({})
        return f
    try:
        if run is None:
            import wandb  # noqa: PLC0415

            run = wandb.run
        if run is None:
            return failed_future("no active W&B run (call wandb.init first); 3D media not logged")
        if source is None:
            raise ValueError("no source: pass the metrics file (or a MetricsLogger)")
        sink_key = (id(run), step_key)
        sink = _sinks.get(sink_key)
        if sink is None or sink.run is not run:
            sink = _sinks[sink_key] = WandbSink(run, step_key)
        request = _background.make_request(
            source, kinds, step, "final/" if final else prefix, final, media, turntable, options,
            common, sink, ("wandb", id(run), "final/" if final else prefix), skip_when_behind)
        request.destination += (tuple(request.sources), request.kinds)
    except Exception as e:  # noqa: BLE001 - never into the training loop
        return failed_future(f"3D media not logged: {e}")
    future = submit(request)
    if wait if wait is not None else final:
        future.result()
    return future
