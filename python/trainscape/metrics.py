"""Writing metrics from the training loop: MetricsLogger (JSONL) and grad_norms(model)."""
from __future__ import annotations

import json
import math
import numbers
import os
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]


def process_rank() -> int:
    """This process's rank in a distributed run: torch.distributed's when it is initialised,
    else the ``RANK`` (torchrun's global rank) or ``LOCAL_RANK`` environment variable, else 0."""
    # Only when the program uses torch: importing it just to ask would cost a second.
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return int(dist.get_rank())
    for key in ("RANK", "LOCAL_RANK"):
        value = os.environ.get(key)
        if value not in (None, ""):
            try:
                return int(value)
            except ValueError:
                raise ValueError(f"{key}={value!r} is not an integer rank") from None
    return 0


def _scalar(key: str, value: Any) -> Union[float, int, bool, None]:
    """A Python number from a Python, numpy or torch scalar (one-element tensors and arrays
    too). NaN and infinities are kept."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    # torch.Tensor and numpy arrays / scalars: .item() on one element.
    item = getattr(value, "item", None)
    size = getattr(value, "numel", None)
    count = size() if callable(size) else getattr(value, "size", 1)
    if callable(item):
        if count != 1:
            shape = tuple(getattr(value, "shape", ()))
            raise ValueError(f"metric {key!r} has shape {shape}; log one number per key "
                             "(for per-layer values, one key per layer)")
        return _scalar(key, item())
    raise TypeError(f"metric {key!r} is a {type(value).__name__}; expected a number "
                    "(Python, numpy or a one-element torch tensor)")


def _flatten(prefix: str, values: Mapping[str, Any], out: Dict[str, Any]) -> None:
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(name + "/", value, out)
        else:
            out[name] = _scalar(name, value)


class MetricsLogger:
    """Writes one JSON object per ``log(step, metrics)`` call to a JSONL file that every
    Trainscape command reads (``{"step": 100, "loss": 2.31, "grad_norm/layers.0.weight": ...}``).

    - Values may be Python, numpy or torch scalars (one-element tensors); NaN and infinities are
      written as ``NaN``/``Infinity``, which Trainscape reads as holes. Nested dicts are
      flattened with ``/``.
    - Each row reaches the file (flushed to the OS) at most ``flush_seconds`` after ``log``
      returns, so ``trainscape view --follow`` and ``convert --follow`` see it promptly: with
      the default 0 on every call (one write per step); with a positive value rows are batched
      and a background thread flushes what is pending.
    - Only the process of rank 0 writes (torch.distributed when initialised, else ``RANK`` /
      ``LOCAL_RANK``); on the others ``log`` does nothing and no file is created.
    - ``mode``: "x" (default) creates a new file and refuses an existing one, "a" appends (a
      resumed run), "w" replaces. A symlink, FIFO or device is refused in every mode.
    """

    def __init__(self, path: PathLike, *, mode: str = "x", flush_seconds: float = 0.0,
                 rank: Optional[int] = None) -> None:
        if mode not in ("x", "a", "w"):
            raise ValueError(f"mode must be 'x' (new file), 'a' (append) or 'w' (replace), not {mode!r}")
        if flush_seconds < 0 or not math.isfinite(flush_seconds):
            raise ValueError(f"flush_seconds must be >= 0, not {flush_seconds!r}")
        self.path = Path(path)
        self.mode = mode
        self.flush_seconds = float(flush_seconds)
        self._rank = rank
        self._file = None
        self._lock = threading.Lock()
        self._pending = False
        self._last_flush = 0.0
        self._closed = False
        self._flusher: Optional[threading.Thread] = None
        self._wake = threading.Event()
        self.rows = 0

    @property
    def is_writer(self) -> bool:
        """True on the process that writes (rank 0)."""
        return (self._rank if self._rank is not None else process_rank()) == 0

    def _open(self) -> None:
        p = self.path
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            st = None
        if st is not None:
            if stat.S_ISLNK(st.st_mode):
                raise FileExistsError(f"{p} is a symbolic link; MetricsLogger writes only regular files")
            if not stat.S_ISREG(st.st_mode):
                raise FileExistsError(f"{p} is not a regular file (a FIFO, device or directory)")
            if self.mode == "x":
                raise FileExistsError(f"{p} already exists; pass mode='a' to append (a resumed run) "
                                      "or mode='w' to replace it")
        p.parent.mkdir(parents=True, exist_ok=True)
        flags = {"x": os.O_CREAT | os.O_EXCL, "a": os.O_CREAT | os.O_APPEND,
                 "w": os.O_CREAT | os.O_TRUNC}[self.mode] | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(p, flags, 0o644)
        self._file = os.fdopen(fd, "a", encoding="utf-8", buffering=1 << 16)

    def log(self, step: Any, metrics: Mapping[str, Any]) -> None:
        """Writes one row: ``step`` and the metrics (rank 0 only)."""
        if self._closed:
            raise ValueError(f"MetricsLogger({self.path}) is closed")
        if not isinstance(metrics, Mapping):
            raise TypeError(f"metrics must be a dict of numbers, not {type(metrics).__name__}")
        if self._file is None and not self.is_writer:
            return
        step_value = _scalar("step", step)
        if not isinstance(step_value, int) or isinstance(step_value, bool):
            if isinstance(step_value, float) and step_value.is_integer():
                step_value = int(step_value)
            else:
                raise TypeError(f"step must be an integer, not {step!r}")
        row: Dict[str, Any] = {"step": step_value}
        flat: Dict[str, Any] = {}
        _flatten("", metrics, flat)
        if "step" in flat:
            raise ValueError("metrics has a 'step' key; pass the step as the first argument")
        row.update(flat)
        line = json.dumps(row, allow_nan=True, separators=(",", ":")) + "\n"
        with self._lock:
            if self._file is None:
                self._open()
            self._file.write(line)
            self.rows += 1
            now = time.monotonic()
            if self.flush_seconds == 0 or now - self._last_flush >= self.flush_seconds:
                self._file.flush()
                self._last_flush = now
                self._pending = False
            else:
                self._pending = True
                self._start_flusher()

    def _start_flusher(self) -> None:
        if self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_loop, name="trainscape-metrics-flush",
                                             daemon=True)
            self._flusher.start()

    def _flush_loop(self) -> None:
        while not self._wake.wait(self.flush_seconds):
            with self._lock:
                if self._pending and self._file is not None:
                    self._file.flush()
                    self._last_flush = time.monotonic()
                    self._pending = False

    def flush(self) -> None:
        """Writes every pending row to the file now."""
        with self._lock:
            if self._file is not None:
                self._file.flush()
                self._pending = False

    def close(self) -> None:
        """Flushes and closes the file; further ``log`` calls raise."""
        self._wake.set()
        with self._lock:
            if self._file is not None:
                self._file.flush()
                self._file.close()
            self._closed = True

    def __enter__(self) -> "MetricsLogger":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __repr__(self) -> str:
        return f"MetricsLogger({str(self.path)!r}, mode={self.mode!r}, rows={self.rows})"


def grad_norms(model: Any, *, prefix: str = "grad_norm/", norm_type: float = 2.0) -> Dict[str, float]:
    """Per-parameter gradient norms, ``{"grad_norm/<name>": norm}`` with each name exactly as
    ``model.named_parameters()`` gives it (``grad_norm/layers.0.attn.weight``,
    ``grad_norm/transformer.h.3.mlp.c_proj.weight``), which Trainscape's gradient flow reads
    as layers. Parameters without a gradient are left out. Call it after ``backward()`` and
    before ``zero_grad()``; it reads the gradients only (one device sync for all of them) and
    leaves the model, its gradients and the random state as they are."""
    import torch  # noqa: PLC0415

    names = []
    norms = []
    with torch.no_grad():
        for name, param in model.named_parameters():
            grad = param.grad
            if grad is None:
                continue
            if grad.is_sparse:
                grad = grad.coalesce()._values()
            names.append(name)
            norms.append(torch.linalg.vector_norm(grad.detach().float(), ord=norm_type))
        if not norms:
            return {}
        values = torch.stack([n.to(norms[0].device) for n in norms]).cpu().tolist()
    return {f"{prefix}{name}": float(v) for name, v in zip(names, values)}
