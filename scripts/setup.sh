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
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

packages=(pkg-config libopengl-dev libgl-dev libegl-dev libpng-dev libdeflate-dev libegl1 libegl-mesa0 libgl1-mesa-dri libhdf5-dev libglfw3-dev xvfb chromium)
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
