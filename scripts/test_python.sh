#!/usr/bin/env bash
# Runs the Python package's tests (python/tests) against the wheel that scripts/package.sh
# built, installed into a fresh venv: there `import trainscape` and the `trainscape` command
# come from the wheel only (the tests check it), with no Swift on PATH. The heavy test
# dependencies (torch, transformers, lightning, wandb, plotly, pytest) are reused from .venv
# (scripts/setup.sh --python-tests) through a .pth file, after the fresh venv's own packages.
#   scripts/package.sh && scripts/test_python.sh [pytest args...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' python/pyproject.toml)
wheel=$(ls -t dist/trainscape-"$version"-py3-none-manylinux_*_x86_64.whl 2>/dev/null | head -1 || true)
[ -n "$wheel" ] || { echo "test_python: no wheel for $version in dist/: run scripts/package.sh first" >&2; exit 1; }
.venv/bin/python -c "import torch, transformers, lightning, wandb, plotly, pytest, PIL" 2>/dev/null || {
  echo "test_python: .venv lacks the test dependencies: run scripts/setup.sh --python-tests" >&2; exit 1; }
.venv/bin/python -c "import trainscape" 2>/dev/null && {
  echo "test_python: .venv has a trainscape package installed; the tests must see only the wheel (.venv/bin/pip uninstall trainscape)" >&2; exit 1; }

venv=.build-pytest/venv
rm -rf "$venv"
.venv/bin/python -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-index --no-deps "$wheel"
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
deps=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$deps" > "$site/zz-trainscape-test-deps.pth"

# No Swift toolchain on PATH, no source tree on sys.path: what a user of the wheel has.
path=$(echo "$PATH" | tr ':' '\n' | grep -v -i swift | paste -sd: -)
cd "$root/.build-pytest"
env -u TRAINSCAPE_BINARY -u PYTHONPATH -u LD_LIBRARY_PATH PATH="$root/$venv/bin:$path" TRAINSCAPE_TEST_INSTALLED=1 \
  "$root/$venv/bin/python" -m pytest "$root/python/tests" -p no:cacheprovider -rs "$@"
