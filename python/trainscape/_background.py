"""The background worker that turns a metrics source into 3D media while training goes on.

One daemon thread per process runs the binary for each request (export, render, turntable)
and hands the files to a sink: the W&B run (trainscape.wandb) or a folder (the callbacks
without W&B). A training step only queues a request. A failure becomes a TrainscapeWarning,
never an exception in the training loop. A periodic request that is still waiting when the
next one for the same destination (run or folder, prefix, sources and kinds) arrives is
replaced by it, with a warning (rendering is behind the training); final requests never are.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import warnings
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _cli
from ._cli import TrainscapeWarning
from .metrics import MetricsLogger

PathLike = Union[str, "os.PathLike[str]"]

KINDS = ("gradient-flow", "loss-landscape", "reward-landscape", "trajectory", "histogram", "attention", "embedding")
DEFAULT_KINDS = ("gradient-flow", "loss-landscape", "trajectory")
MEDIA = ("plotly", "object3d", "image", "turntable")
# Point clouds read best as W&B Object3D; everything else as an interactive Plotly figure.
DEFAULT_MEDIA = {"attention": ("object3d", "image")}
DEFAULT_TURNTABLE = {"frames": 36, "size": (800, 450), "animate": "gif"}
MEDIA_SUFFIX = {"plotly": "plotly", "object3d": "points", "image": "image", "turntable": "turntable"}


def media_key(prefix: str, kind: str, medium: str) -> str:
    """The key a medium of a kind is logged under: ``3d/gradient_flow/plotly``."""
    return f"{prefix}{kind.replace('-', '_')}/{MEDIA_SUFFIX[medium]}"


@dataclass
class Request:
    sources: List[str]
    kinds: Tuple[str, ...]
    media: Dict[str, Tuple[str, ...]]
    step: Optional[int]
    prefix: str
    final: bool
    turntable: Optional[Dict[str, Any]]
    options: Dict[str, Dict[str, Any]]
    sink: "Sink"
    destination: Tuple[Any, ...]
    skip_when_behind: bool = True
    future: "Future[Dict[str, Path]]" = field(default_factory=Future)
    # The sizes of the growing JSONL sources when the request was made: the render reads no
    # further, so a landscape logged at step N holds the rows written by then and no later
    # ones, however far training has gone when the background thread gets to it.
    sizes: Dict[str, int] = field(default_factory=dict)


class Sink:
    """Where the files of one request go. ``deliver`` gets {key: (medium, path)}."""

    temporary = True  # the worker renders into a temporary folder and removes it afterwards

    def directory(self, request: Request) -> Path:
        raise NotImplementedError

    def deliver(self, request: Request, files: Dict[str, Tuple[str, Path]]) -> Dict[str, Path]:
        raise NotImplementedError


def sources_of(source: Any) -> List[str]:
    """Paths from a path, a MetricsLogger (flushed first) or a list of them."""
    items = source if isinstance(source, (list, tuple)) else [source]
    out = []
    for s in items:
        if isinstance(s, MetricsLogger):
            s.flush()
        out.append(os.fspath(s))
    if not out:
        raise ValueError("no source: pass a metrics file (or a MetricsLogger)")
    return out


def growing(path: str) -> bool:
    return path.endswith((".jsonl", ".ndjson")) and os.path.isfile(path)


def sizes_now(paths: Sequence[str]) -> Dict[str, int]:
    return {p: os.path.getsize(p) for p in paths if growing(p)}


def snapshot(paths: Sequence[str], workdir: Path, sizes: Optional[Mapping[str, int]] = None) -> List[str]:
    """JSONL files that training is still appending to are copied up to their last complete
    line (within ``sizes[path]`` bytes when given: the size when the request was made), so
    every kind of one request sees the same rows and no half-written line."""
    out = []
    for i, p in enumerate(paths):
        if growing(p):
            with open(p, "rb") as f:
                data = f.read(sizes[p]) if sizes and p in sizes else f.read()
            end = data.rfind(b"\n")
            # Same file name: titles and run names come from it.
            (workdir / f"source{i}").mkdir(exist_ok=True)
            copy = workdir / f"source{i}" / os.path.basename(p)
            copy.write_bytes(data[: end + 1] if end >= 0 else b"")
            out.append(os.fspath(copy))
        else:
            out.append(p)
    return out


def render_request(request: Request, workdir: Path, scratch: Path) -> Tuple[Dict[str, Tuple[str, Path]], List[str]]:
    """Runs the binary for every kind and medium into ``workdir``; returns the files and the
    failures. Growing JSONL sources are read from a snapshot in ``scratch``."""
    files: Dict[str, Tuple[str, Path]] = {}
    failures: List[str] = []
    sources = snapshot(request.sources, scratch, request.sizes)
    for kind in request.kinds:
        opts = dict(request.options.get(kind, {}))
        stem = kind.replace("-", "_")
        for medium in request.media[kind]:
            key = media_key(request.prefix, kind, medium)
            try:
                if medium == "plotly":
                    path = _cli.export(kind, *sources, output=workdir / f"{stem}.plotly.json",
                                       force=True, _stderr="warnings", **opts)
                elif medium == "object3d":
                    path = _cli.export(kind, *sources, output=workdir / f"{stem}.pts.json",
                                       force=True, _stderr="warnings", **opts)
                elif medium == "image":
                    path = _cli.render(kind, *sources, output=workdir / f"{stem}.png",
                                       force=True, _stderr="warnings", **opts)
                else:
                    spin = {**DEFAULT_TURNTABLE, **(request.turntable or {}), **opts}
                    folder = _cli.turntable(kind, *sources, output=workdir / f"{stem}_turntable",
                                            quiet=True, _stderr="warnings", **spin)
                    animated = sorted(folder.glob(f"*.{spin.get('animate', 'gif')}"))
                    if not animated:
                        raise _cli.TrainscapeError(f"the turntable in {folder} has no animated file")
                    path = animated[0]
                files[key] = (medium, path)
            except Exception as e:  # noqa: BLE001 - reported, never raised into training
                failures.append(f"{key}: {e}")
    return files, failures


class Worker:
    """The process's background thread (started on first use)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: List[Request] = []
        self._busy = 0
        self._thread: Optional[threading.Thread] = None

    def submit(self, request: Request) -> "Future[Dict[str, Path]]":
        with self._cond:
            if not request.final and request.skip_when_behind:
                for i, waiting in enumerate(self._queue):
                    if waiting.destination == request.destination and not waiting.final:
                        warnings.warn(
                            f"trainscape: skipped the 3D media of step {waiting.step} under "
                            f"'{waiting.prefix}': the previous ones were still rendering when step "
                            f"{request.step} asked (log less often, or fewer kinds)",
                            TrainscapeWarning, stacklevel=3)
                        waiting.future.set_result({})
                        del self._queue[i]
                        break
            self._queue.append(request)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="trainscape-landscapes",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return request.future

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                request = self._queue.pop(0)
                self._busy += 1
            request.future.set_running_or_notify_cancel()
            try:
                request.future.set_result(self._run(request))
            except BaseException as e:  # noqa: BLE001 - the future carries it; never raised
                request.future.set_result({})
                warnings.warn(f"trainscape: 3D media failed: {e}", TrainscapeWarning, stacklevel=1)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    @staticmethod
    def _run(request: Request) -> Dict[str, Path]:
        sink = request.sink
        scratch = Path(tempfile.mkdtemp(prefix="trainscape-"))
        workdir = scratch if sink.temporary else sink.directory(request)
        try:
            files, failures = render_request(request, workdir, scratch)
            delivered: Dict[str, Path] = {}
            if files:
                try:
                    delivered = sink.deliver(request, files)
                except Exception as e:  # noqa: BLE001
                    failures.append(f"could not log {', '.join(files)}: {e}")
            at = f" of step {request.step}" if request.step is not None else ""
            for failure in failures:
                warnings.warn(f"trainscape: 3D media{at} failed: {failure}", TrainscapeWarning,
                              stacklevel=1)
            return delivered
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Waits until every queued request is done; False when ``timeout`` ran out first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and self._busy == 0, timeout)


_worker = Worker()
_atexit_lock = threading.Lock()
_atexit_done = False


def submit(request: Request) -> "Future[Dict[str, Path]]":
    global _atexit_done
    with _atexit_lock:
        if not _atexit_done:
            # Registered after `wandb.init` in a usual script, so it runs before W&B's own exit
            # handler finishes the run: what is queued still gets logged.
            atexit.register(_worker.flush, 300)
            _atexit_done = True
    return _worker.submit(request)


def flush(timeout: Optional[float] = None) -> bool:
    """Waits for every queued 3D render and log; False if ``timeout`` seconds ran out first."""
    return _worker.flush(timeout)


def make_request(source: Any, kinds: Any, step: Any, prefix: str, final: bool, media: Any,
                 turntable: Any, options: Optional[Mapping[str, Mapping[str, Any]]],
                 common: Mapping[str, Any], sink: Sink, destination: Tuple[Any, ...],
                 skip_when_behind: bool = True) -> Request:
    """Checks the arguments (ValueError/TypeError on misuse) and builds a request."""
    if isinstance(kinds, str):
        kinds = (kinds,)
    kinds = tuple(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"unknown kinds {unknown}; expected some of {', '.join(KINDS)}")
    per_kind: Dict[str, Tuple[str, ...]] = {}
    for kind in kinds:
        chosen = tuple(media) if media is not None else DEFAULT_MEDIA.get(kind, ("plotly", "image"))
        bad = [m for m in chosen if m not in MEDIA]
        if bad:
            raise ValueError(f"unknown media {bad}; expected some of {', '.join(MEDIA)}")
        if turntable and "turntable" not in chosen:
            chosen = chosen + ("turntable",)
        per_kind[kind] = chosen
    if options is not None:
        extra = [k for k in options if k not in kinds]
        if extra:
            raise ValueError(f"options for kinds that are not logged: {extra}")
    opts = {k: {**common, **dict((options or {}).get(k, {}))} for k in kinds}
    if step is not None:
        step = int(step)
    spin = dict(turntable) if isinstance(turntable, Mapping) else ({} if turntable else None)
    sources = sources_of(source)
    return Request(sources=sources, sizes=sizes_now(sources), kinds=kinds, media=per_kind, step=step,
                   prefix=prefix, final=final, turntable=spin, options=opts, sink=sink,
                   destination=destination, skip_when_behind=skip_when_behind)


def failed_future(message: str) -> "Future[Dict[str, Path]]":
    warnings.warn(f"trainscape: {message}", TrainscapeWarning, stacklevel=3)
    f: "Future[Dict[str, Path]]" = Future()
    f.set_result({})
    return f


class FolderSink(Sink):
    """Writes the files into ``root/step_NNNNNN/`` (``root/final/`` for the final request)."""

    temporary = False

    def __init__(self, root: PathLike) -> None:
        self.root = Path(root)

    def directory(self, request: Request) -> Path:
        name = "final" if request.final else (f"step_{request.step:06d}" if request.step is not None else "latest")
        d = self.root / name
        d.mkdir(parents=True, exist_ok=True)
        return d

    def deliver(self, request: Request, files: Dict[str, Tuple[str, Path]]) -> Dict[str, Path]:
        return {k: p for k, (_, p) in files.items()}


def write_landscapes(output_dir: PathLike, source: Any, kinds: Any = DEFAULT_KINDS, step: Any = None, *,
                     final: bool = False, media: Any = None, turntable: Any = False,
                     options: Optional[Mapping[str, Mapping[str, Any]]] = None, wait: Optional[bool] = None,
                     skip_when_behind: bool = True, **common: Any) -> "Future[Dict[str, Path]]":
    """Like ``trainscape.wandb.log_landscapes`` without W&B: the PNGs, exports and turntables go
    to ``output_dir/step_NNNNNN/`` (``output_dir/final/``), in the background."""
    try:
        request = make_request(source, kinds, step, "", final, media, turntable, options, common,
                               FolderSink(output_dir), ("folder", os.fspath(output_dir)), skip_when_behind)
    except Exception as e:  # noqa: BLE001
        return failed_future(f"3D media not written: {e}")
    request.destination += (tuple(request.sources), request.kinds)
    future = submit(request)
    if wait if wait is not None else final:
        future.result()
    return future

