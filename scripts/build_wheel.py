#!/usr/bin/env python3
"""Builds the platform wheel dist/trainscape-VERSION-py3-none-PLAT.whl: the Python package in
python/trainscape plus the trainscape binary as trainscape/bin/trainscape (scripts/package.sh
calls this with the release binary). The wheel format is a zip with a .dist-info folder
(PEP 427, PEP 491); the metadata comes from python/pyproject.toml. Standard library only, so
it builds offline, and the same inputs give the same bytes (fixed timestamps, sorted entries).

  python3 scripts/build_wheel.py --binary BIN --version 0.1.0 --plat manylinux_2_35_x86_64 \
      --licenses DIR --out dist
"""
import argparse
import base64
import hashlib
import os
import re
import sys
import tomllib
import zipfile
from pathlib import Path

repo = Path(__file__).resolve().parent.parent
EPOCH = (2020, 1, 1, 0, 0, 0)


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True, type=Path)
    ap.add_argument("--version", required=True)
    ap.add_argument("--plat", required=True, help="platform tag, e.g. manylinux_2_35_x86_64")
    ap.add_argument("--licenses", type=Path, help="folder of licence files to include")
    ap.add_argument("--out", type=Path, default=repo / "dist")
    args = ap.parse_args()

    project = tomllib.loads((repo / "python" / "pyproject.toml").read_text())["project"]
    name, version = project["name"], project["version"]
    if version != args.version:
        sys.exit(f"build_wheel: python/pyproject.toml says {version}, the binary {args.version}")
    init = (repo / "python" / "trainscape" / "__init__.py").read_text()
    m = re.search(r'__version__ = "(.*?)"', init)
    if not m or m.group(1) != version:
        sys.exit(f"build_wheel: trainscape/__init__.py's __version__ is not {version}")
    if not re.fullmatch(r"(manylinux_\d+_\d+|linux)_x86_64", args.plat):
        sys.exit(f"build_wheel: unexpected platform tag {args.plat}")
    tag = f"py3-none-{args.plat}"
    dist_info = f"{name}-{version}.dist-info"

    files: list[tuple[str, bytes, int]] = []  # (archive name, data, mode)
    package = repo / "python" / "trainscape"
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        files.append((f"trainscape/{path.relative_to(package).as_posix()}", path.read_bytes(), 0o644))
    files.append(("trainscape/bin/trainscape", args.binary.read_bytes(), 0o755))

    meta = [
        "Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
        f"Summary: {project['description']}",
        f"Requires-Python: {project['requires-python']}",
    ]
    meta += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    for dep in project.get("dependencies", []):
        meta.append(f"Requires-Dist: {dep}")
    for extra, deps in project.get("optional-dependencies", {}).items():
        meta.append(f"Provides-Extra: {extra}")
        meta += [f'Requires-Dist: {d}; extra == "{extra}"' for d in deps]
    meta += ["Description-Content-Type: text/markdown", "",
             (repo / "python" / project["readme"]).read_text()]
    wheel = ["Wheel-Version: 1.0", "Generator: trainscape scripts/build_wheel.py",
             "Root-Is-Purelib: false", f"Tag: {tag}", ""]
    scripts = project.get("scripts", {})
    entry = ["[console_scripts]", *[f"{k} = {v}" for k, v in scripts.items()], ""]
    files += [(f"{dist_info}/METADATA", "\n".join(meta).encode(), 0o644),
              (f"{dist_info}/WHEEL", "\n".join(wheel).encode(), 0o644),
              (f"{dist_info}/entry_points.txt", "\n".join(entry).encode(), 0o644)]
    if args.licenses:
        for lic in sorted(args.licenses.iterdir()):
            files.append((f"{dist_info}/licenses/{lic.name}", lic.read_bytes(), 0o644))

    record_name = f"{dist_info}/RECORD"
    record = [f"{n},{record_hash(d)},{len(d)}" for n, d, _ in files] + [f"{record_name},,", ""]
    files.append((record_name, "\n".join(record).encode(), 0o644))

    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"{name}-{version}-{tag}.whl"
    tmp = target.with_suffix(".whl.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for n, data, mode in files:
            info = zipfile.ZipInfo(n, date_time=EPOCH)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    os.replace(tmp, target)
    print(target)


if __name__ == "__main__":
    main()
