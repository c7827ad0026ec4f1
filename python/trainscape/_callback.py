"""What the HF Trainer and Lightning callbacks share: one metrics row per optimizer step
(gradient norms taken before the step, the framework's logged scalars after it), written by
rank 0 to ``<output dir>/trainscape/metrics.jsonl``, and every ``every_n_steps`` steps the 3D
media: into the active W&B run, or without one as files in ``<output dir>/trainscape/``."""
from __future__ import annotations

import math
import numbers
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

from . import _background
from .metrics import MetricsLogger, grad_norms


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    item = getattr(value, "item", None)
    numel = getattr(value, "numel", None)
    if callable(item) and (not callable(numel) or numel() == 1):
        try:
            return float(item())
        except (TypeError, ValueError):
            return None
    return None


def with_loss_key(kinds: Any, options: Optional[Mapping[str, Mapping[str, Any]]]) -> Dict[str, Dict[str, Any]]:
    """``options`` with ``loss_key="loss"`` for the kinds that draw a loss, unless given."""
    chosen = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    merged: Dict[str, Dict[str, Any]] = {
        k: {"loss_key": "loss"} for k in chosen if k in ("loss-landscape", "trajectory", "reward-landscape")}
    for k, v in (options or {}).items():
        merged[k] = {**merged.get(k, {}), **dict(v)}
    return merged


class LandscapeRecorder:
    def __init__(self, every_n_steps: int, kinds: Any, grad_norms: bool, turntable: Any,
                 media: Any, options: Optional[Mapping[str, Mapping[str, Any]]], step_key: str,
                 output_dir: Optional[str], common: Mapping[str, Any], skip_when_behind: bool = True) -> None:
        if every_n_steps < 1:
            raise ValueError(f"every_n_steps must be >= 1, not {every_n_steps}")
        kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
        # Check the kinds and media now, at construction, not in the background.
        _background.make_request("unused", kinds, None, "", False, media, turntable, options, common,
                                 _background.FolderSink("."), ())
        self.every_n_steps = every_n_steps
        self.kinds = kinds
        self.record_grad_norms = grad_norms
        self.turntable = turntable
        self.media = media
        self.options = options
        self.step_key = step_key
        self.output_dir = output_dir
        self.common = dict(common)
        self.skip_when_behind = skip_when_behind
        self.logger: Optional[MetricsLogger] = None
        self.root: Optional[Path] = None
        self.row_step: Optional[int] = None
        self.row: Dict[str, Any] = {}
        self.futures: list = []
        self.last_logged_step: Optional[int] = None

    def start(self, default_dir: str) -> None:
        self.root = Path(self.output_dir or default_dir) / "trainscape"
        self.logger = MetricsLogger(self.root / "metrics.jsonl", mode="w", rank=0)

    def gradients(self, step: int, model: Any) -> None:
        if self.record_grad_norms and self.logger is not None:
            norms = grad_norms(model)
            if norms:
                # The total as well, for the trajectory (the HF Trainer logs its own, which
                # replaces this one in the row).
                norms["grad_norm"] = math.sqrt(sum(v * v for v in norms.values()))
            self._merge(step, norms)

    def scalars(self, step: int, values: Mapping[str, Any]) -> None:
        if self.logger is None:
            return
        row = {}
        for k, v in values.items():
            f = _number(v)
            if f is not None:
                row[k] = f
        self._merge(step, row)

    def _merge(self, step: int, values: Dict[str, Any]) -> None:
        if self.row_step is not None and step != self.row_step:
            self._write()
        self.row_step = step
        self.row.update(values)

    def _write(self) -> None:
        if self.logger is not None and self.row_step is not None and self.row:
            self.logger.log(self.row_step, self.row)
        self.row = {}

    def step_done(self, step: int, run: Any) -> None:
        """After the optimizer step ``step`` (and its logs): write the row, and every N steps
        queue the 3D media."""
        if self.logger is None:
            return
        if self.row_step is not None and self.row_step <= step:
            self._write()
            self.row_step = None
        if step > 0 and step % self.every_n_steps == 0 and self.logger.rows > 0:
            self._media(step, run, final=False)

    def finish(self, run: Any) -> None:
        if self.logger is None:
            return
        self._write()
        self.row_step = None
        if self.logger.rows > 0:
            self._media(None, run, final=True)
        _background.flush()
        self.logger.close()

    def _media(self, step: Optional[int], run: Any, final: bool) -> None:
        assert self.logger is not None and self.root is not None
        if run is not None:
            from .wandb import log_landscapes  # noqa: PLC0415

            future = log_landscapes(run, self.logger, kinds=self.kinds, step=step, final=final,
                                    media=self.media, turntable=self.turntable, options=self.options,
                                    step_key=self.step_key, wait=False,
                                    skip_when_behind=self.skip_when_behind, **self.common)
        else:
            future = _background.write_landscapes(self.root, self.logger, kinds=self.kinds,
                                                  step=step, final=final, media=self.media,
                                                  turntable=self.turntable, options=self.options,
                                                  wait=False, skip_when_behind=self.skip_when_behind,
                                                  **self.common)
        self.futures.append((step, future))
        self.last_logged_step = step


def finite(values: Mapping[str, Any]) -> Dict[str, float]:
    out = {}
    for k, v in values.items():
        f = _number(v)
        if f is not None and not math.isnan(f):
            out[k] = f
    return out
