#!/usr/bin/env bash
# Sets up a Debian 12 machine (with Swift already installed) to build, run and test Trainscape:
#   1. Debian packages: OpenGL/EGL headers and Mesa's software renderer (llvmpipe) for
#      headless rendering, GLFW for the window, libpng for PNG files, libhdf5 for
#      loss-landscape .h5 files, Xvfb for the viewer's tests, Chromium to check the HTML
#      export, pkg-config to find them.
#   2. A Python venv at .venv (gitignored) with the reference libraries the tests compare
#      against (numpy, scipy, scikit-learn, matplotlib, plotly, wandb, tensorboard), the
#      training stacks whose logs the naming tests read (torch CPU, transformers, Lightning)
#      and the asset generators' tools.
# Safe to run again; it only installs what is missing.
#   scripts/setup.sh                 # everything
#   SKIP_APT=1 scripts/setup.sh      # only the venv
#   PYTHON=python3.12 scripts/setup.sh
#   scripts/setup.sh --python-tests  # also what the Python package's tests need (several minutes:
#                                    # torch's CPU wheel, transformers, lightning) and debootstrap
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python_tests=0
for a in "$@"; do
  case "$a" in
    --python-tests) python_tests=1 ;;
    *) echo "usage: scripts/setup.sh [--python-tests]" >&2; exit 2 ;;
  esac
done

packages=(pkg-config libopengl-dev libgl-dev libegl-dev libpng-dev libdeflate-dev libegl1 libegl-mesa0 libgl1-mesa-dri libhdf5-dev libglfw3-dev xvfb chromium)
# The release (scripts/package.sh) links zlib and libstdc++ statically; its clean-system test
# builds a minimal Debian root.
[ "$python_tests" = 1 ] && packages+=(zlib1g-dev binutils debootstrap)
if [ "${SKIP_APT:-0}" != "1" ]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = "0" ] || sudo="sudo"
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv
fi
# torch's CPU wheel first (no CUDA libraries): pip finds it in a local wheel directory
# (PIP_FIND_LINKS) or on the PyTorch CPU index when that is reachable; plain PyPI otherwise.
torch_version="$(sed -n 's/^torch==//p' scripts/requirements.txt)"
if ! .venv/bin/python -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '$torch_version' else 1)" 2>/dev/null; then
  extra=()
  if "${PYTHON:-python3}" -c "import urllib.request; urllib.request.urlopen('https://download.pytorch.org/whl/cpu/', timeout=5)" 2>/dev/null; then
    extra=(--extra-index-url https://download.pytorch.org/whl/cpu)
  fi
  echo "setup: installing torch $torch_version (CPU)"
  .venv/bin/pip install --quiet --disable-pip-version-check "${extra[@]}" "torch==$torch_version"
fi
if ! .venv/bin/python -c "import freetype, numpy, scipy, PIL, matplotlib, sklearn, h5py, plotly, wandb, pygltflib, tensorboardX, tensorboard, torch, transformers, lightning" 2>/dev/null \
  || ! cmp -s scripts/requirements.txt .venv/.requirements-installed; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
  cp scripts/requirements.txt .venv/.requirements-installed
fi
echo "setup: ready ($(.venv/bin/python -c 'import numpy, scipy, matplotlib; print("numpy", numpy.__version__, "scipy", scipy.__version__, "matplotlib", matplotlib.__version__)'))"

if [ "$python_tests" = 1 ]; then
  # torch's CPU wheel: from PyTorch's CPU index when it is reachable, else a CPU wheel in pip's
  # find-links folders, else PyPI's torch (which brings CUDA libraries: larger, same results).
  if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    cpu_index=https://download.pytorch.org/whl/cpu
    if .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen('$cpu_index/torch/', timeout=10)" 2>/dev/null; then
      echo "setup: installing torch from $cpu_index"
      .venv/bin/pip install --quiet --disable-pip-version-check --index-url "$cpu_index" torch
    else
      local_cpu=""
      for d in $(.venv/bin/pip config get global.find-links 2>/dev/null || true) ${PIP_FIND_LINKS:-}; do
        for w in "$d"/torch-*+cpu-cp$(.venv/bin/python -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')-*linux*_x86_64.whl; do
          [ -f "$w" ] && local_cpu="$w"
        done
      done
      if [ -n "$local_cpu" ]; then
        echo "setup: installing torch's CPU wheel $local_cpu"
        .venv/bin/pip install --quiet --disable-pip-version-check "$local_cpu"
      else
        echo "setup: PyTorch's CPU index is not reachable; installing torch from PyPI"
        .venv/bin/pip install --quiet --disable-pip-version-check torch
      fi
    fi
  fi
  if ! cmp -s scripts/requirements-python-tests.txt .venv/.requirements-python-tests-installed; then
    .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-python-tests.txt
    cp scripts/requirements-python-tests.txt .venv/.requirements-python-tests-installed
  fi
  echo "setup: Python tests ready ($(.venv/bin/python -c 'import torch, transformers, lightning, pytest; print("torch", torch.__version__, "transformers", transformers.__version__, "lightning", lightning.__version__)'))"
fi
