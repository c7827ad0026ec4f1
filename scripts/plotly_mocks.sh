#!/usr/bin/env bash
# Copies plotly.js's 3D image-test mocks (test/image/mocks/gl3d_*.json, gzipped) and their
# baselines (test/image/baselines/gl3d_*.png) from a plotly.js clone into
# Tests/Fixtures/plotly-gl3d/, with plotly.js's licence. The conformance test
# (Tests/TrainscapeCLITests/PlotlyMockConformanceTests.swift) renders each beside its baseline.
#   scripts/plotly_mocks.sh PLOTLYJS_GIT_DIR_OR_CLONE
set -euo pipefail
src=${1:?usage: scripts/plotly_mocks.sh PLOTLYJS_CLONE}
cd "$(dirname "$0")/.."
gitdir=$src
[ -d "$src/.git" ] && gitdir=$src/.git
out=Tests/Fixtures/plotly-gl3d
mkdir -p "$out/mocks" "$out/baselines"
commit=$(git --git-dir="$gitdir" rev-parse HEAD)
git --git-dir="$gitdir" show HEAD:LICENSE > "$out/LICENSE"
n=0
for path in $(git --git-dir="$gitdir" ls-tree --name-only HEAD test/image/mocks/ | grep '/gl3d_.*\.json$'); do
  name=$(basename "$path" .json)
  # Mocks whose blobs the clone lacks (a partial clone) are left out, and said.
  if ! git --git-dir="$gitdir" cat-file -e "HEAD:$path" 2>/dev/null; then echo "skipped $name: not in the clone" >&2; continue; fi
  git --git-dir="$gitdir" show "HEAD:$path" | gzip -9 -n > "$out/mocks/$name.json.gz"
  if git --git-dir="$gitdir" cat-file -e "HEAD:test/image/baselines/$name.png" 2>/dev/null; then
    git --git-dir="$gitdir" show "HEAD:test/image/baselines/$name.png" > "$out/baselines/$name.png"
  fi
  n=$((n + 1))
done
echo "$commit" > "$out/COMMIT"
echo "$n mocks from plotly.js $commit in $out"
