#!/usr/bin/env bash
# Create the Python venv (.venv at the package root, gitignored) used by the asset
# generators and by the matplotlib reference test in TrainscapeCoreTests.
#   scripts/setup.sh            # create/update .venv
#   PYTHON=python3.12 scripts/setup.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"${PYTHON:-python3}" -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -r scripts/requirements.txt
.venv/bin/python -c "import freetype, numpy, scipy, PIL, matplotlib; print('venv ready: matplotlib', matplotlib.__version__)"
echo "Regenerate assets with: .venv/bin/python scripts/bake_font.py && .venv/bin/python scripts/gen_colormaps.py"
