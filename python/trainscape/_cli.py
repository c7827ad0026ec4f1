"""Finding and running the trainscape binary; the render/export/turntable API."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

PathLike = Union[str, "os.PathLike[str]"]
_logger = logging.getLogger("trainscape")


class TrainscapeError(RuntimeError):
    """The trainscape binary failed; ``message`` is what it said (its ``error:`` lines)."""

    def __init__(self, message: str, *, returncode: Optional[int] = None,
                 command: Optional[Sequence[str]] = None, stderr: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.returncode = returncode
        self.command = list(command) if command is not None else None
        self.stderr = stderr


class TrainscapeWarning(UserWarning):
    """A warning from the trainscape binary, or from logging in the background."""


def _is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def binary() -> Path:
    """The trainscape executable this package runs.

    In order: ``TRAINSCAPE_BINARY``; the one the wheel installed (``trainscape/bin``); a
    ``trainscape`` executable on PATH (not this package's own launcher script).
    """
    env = os.environ.get("TRAINSCAPE_BINARY")
    if env:
        p = Path(env)
        if not (p.is_file() and os.access(p, os.X_OK)):
            raise TrainscapeError(f"TRAINSCAPE_BINARY={env} is not an executable file")
        return p
    bundled = Path(__file__).resolve().parent / "bin" / "trainscape"
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return bundled
    found = shutil.which("trainscape")
    if found and _is_elf(Path(found)):
        return Path(found)
    raise TrainscapeError(
        "no trainscape binary: install the wheel (pip install trainscape, or the .whl from "
        "scripts/package.sh), or set TRAINSCAPE_BINARY to the trainscape executable")


def _flag_value(key: str, value: Any) -> Optional[str]:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        if key == "size" and len(value) == 2:
            return f"{value[0]}x{value[1]}"
        if key == "steps" and len(value) == 2:
            return ":".join("" if v is None else str(v) for v in value)
        return ",".join(str(v) for v in value)
    return str(value)


def flags(options: Mapping[str, Any]) -> list[str]:
    """Keyword arguments as command-line flags: ``log_z="on"`` -> ``--log-z on``, ``force=True``
    -> ``--force``, ``size=(1280, 720)`` -> ``--size 1280x720``, ``camera_eye=(1.5, -1.5, 1.2)``
    -> ``--camera-eye 1.5,-1.5,1.2``, ``steps=(1000, 5000)`` -> ``--steps 1000:5000``. False and
    None leave the flag out."""
    out: list[str] = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            out.append(flag)
            continue
        if isinstance(value, (list, tuple)) and key in ("labels",):
            value = ",".join(map(str, value))
        out += [flag, _flag_value(key, value)]  # type: ignore[list-item]
    return out


def _relay(stderr: str, relay: str) -> None:
    """The binary's stderr lines after a success: warnings as TrainscapeWarning (shown once per
    text), notes to the ``trainscape`` logger, or all of it to stderr."""
    if relay == "stderr":
        if stderr:
            sys.stderr.write(stderr)
            sys.stderr.flush()
        return
    for line in stderr.splitlines():
        text = line[len("trainscape: "):] if line.startswith("trainscape: ") else line
        if text.startswith("warning: "):
            warnings.warn(text[len("warning: "):], TrainscapeWarning, stacklevel=4)
        elif text.strip():
            _logger.info("%s", text)


def run(args: Sequence[str], *, relay: str = "stderr", timeout: Optional[float] = None) -> str:
    """Runs ``trainscape ARGS...``; returns its stdout. A failure raises TrainscapeError with the
    binary's error lines as the message."""
    command = [os.fspath(binary()), *args]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise TrainscapeError(f"trainscape {' '.join(args[:2])} did not finish in {timeout} s",
                              command=command) from e
    except OSError as e:
        raise TrainscapeError(f"cannot run {command[0]}: {e.strerror}", command=command) from e
    if done.returncode != 0:
        errors = []
        for line in done.stderr.splitlines():
            text = line[len("trainscape: "):] if line.startswith("trainscape: ") else line
            for marker in ("error: ", "Error: "):
                if text.startswith(marker):
                    errors.append(text[len(marker):])
        message = "\n".join(errors) if errors else (done.stderr.strip() or
                                                    f"trainscape exited with status {done.returncode}")
        raise TrainscapeError(message, returncode=done.returncode, command=command,
                              stderr=done.stderr)
    _relay(done.stderr, relay)
    return done.stdout


def _command(verb: str, kind: str, sources: Iterable[PathLike], output: Optional[PathLike],
             options: Mapping[str, Any], relay: str) -> Path:
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a string such as 'gradient-flow', not {type(kind).__name__}")
    paths = [os.fspath(s) for s in sources]
    if not paths:
        raise TypeError(f"{verb}() needs at least one source file")
    args = [verb, kind, *paths]
    if output is not None:
        args += ["--output", os.fspath(output)]
    args += flags(options)
    stdout = run(args, relay=relay)
    written = [ln for ln in stdout.splitlines() if ln.strip()]
    if not written:
        raise TrainscapeError(f"trainscape {verb} {kind} printed no output path")
    return Path(written[-1])


def render(kind: str, *sources: PathLike, output: Optional[PathLike] = None,
           _stderr: str = "stderr", **options: Any) -> Path:
    """``trainscape render KIND SOURCES... -o OUTPUT [--flags]``: writes a PNG, returns its path.

    Keyword arguments are the command's flags (``trainscape render KIND --help``):
    ``render("gradient-flow", "run.jsonl", output="flow.png", log_z="on", size=(1280, 720))``.
    Like the command, it never overwrites a file unless ``force=True``."""
    return _command("render", kind, sources, output, options, _stderr)


def export(kind: str, *sources: PathLike, output: Optional[PathLike] = None,
           _stderr: str = "stderr", **options: Any) -> Path:
    """``trainscape export``: Plotly JSON (``.plotly.json``), W&B point cloud (``.pts.json``),
    glTF (``.glb``/``.gltf``) or HTML, by the output's extension or ``format=``."""
    return _command("export", kind, sources, output, options, _stderr)


def turntable(kind: str, *sources: PathLike, output: Optional[PathLike] = None,
              _stderr: str = "stderr", **options: Any) -> Path:
    """``trainscape turntable``: frames (and with ``animate="gif"`` one animated file) in a new
    numbered folder under ``output``; returns that folder."""
    return _command("turntable", kind, sources, output, options, _stderr)


def version() -> str:
    """The binary's version."""
    return run(["--version"]).strip()
