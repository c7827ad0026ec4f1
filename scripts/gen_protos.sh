#!/usr/bin/env bash
# Regenerates Sources/TrainscapeIO/Proto/*.pb.swift from proto/*.proto.
# The generated files are committed; CI never runs this (no protoc there).
#
# Needs protoc (apt-get install -y protobuf-compiler) and protoc-gen-swift
# built from swift-protobuf 1.39.0, the version Package.swift depends on:
#   git clone https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#   cd /tmp/swift-protobuf && git checkout 1.39.0
#   swift build -c release --product protoc-gen-swift
# Usage: scripts/gen_protos.sh [PATH_TO_protoc-gen-swift]
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${1:-/tmp/swift-protobuf/.build/release/protoc-gen-swift}"
[ -x "$plugin" ] || { echo "protoc-gen-swift not found at $plugin" >&2; exit 1; }
command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler" >&2; exit 1; }
out=Sources/TrainscapeIO/Proto
mkdir -p "$out"
protoc --plugin=protoc-gen-swift="$plugin" \
  --swift_opt=Visibility=Internal \
  --swift_opt=FileNaming=DropPath \
  --swift_out="$out" -I proto proto/*.proto
echo "generated: $(ls "$out")"
