"""Shared fixtures. scripts/test_python.sh runs these tests in a fresh venv where only the wheel
from dist/ provides trainscape (TRAINSCAPE_TEST_INSTALLED=1: then they check that the package
and the binary come from that install, not from this source tree)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "Assets" / "examples"


def pytest_report_header(config):
    import trainscape

    return [f"trainscape {trainscape.__version__} from {Path(trainscape.__file__).parent}",
            f"binary {trainscape.binary()}"]


@pytest.fixture(scope="session", autouse=True)
def installed_package():
    import trainscape

    if os.environ.get("TRAINSCAPE_TEST_INSTALLED") == "1":
        pkg = Path(trainscape.__file__).resolve().parent
        assert REPO / "python" not in pkg.parents, f"trainscape imported from the source tree ({pkg})"
        assert trainscape.binary() == pkg / "bin" / "trainscape", trainscape.binary()
        assert shutil.which("trainscape") == str(Path(sys.executable).parent / "trainscape")
    return trainscape


@pytest.fixture
def cli():
    """Runs the `trainscape` command (the console script the wheel put on PATH, or the
    binary when testing from the source tree)."""
    import trainscape

    exe = shutil.which("trainscape") if os.environ.get("TRAINSCAPE_TEST_INSTALLED") == "1" else str(trainscape.binary())

    def run(*args, check=True):
        done = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
        if check and done.returncode != 0:
            raise AssertionError(f"trainscape {' '.join(map(str, args))} failed:\n{done.stderr}")
        return done

    return run


@pytest.fixture
def example_run():
    return EXAMPLES / "nanochat_d12.jsonl"


def write_jsonl(path: Path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    return path


def read_jsonl(path: Path):
    from math import nan, inf  # noqa: F401 - for the NaN/Infinity tokens

    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
