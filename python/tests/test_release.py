"""The release from scripts/package.sh: what the tarball holds and links, the wheel carrying the
same binary, and the tarball working on a clean Debian root with only libegl1 and
libgl1-mesa-dri (no Swift, no libOpenGL, no HDF5, no libpng)."""
from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

import trainscape

from conftest import EXAMPLES, REPO

DIST = Path(os.environ.get("TRAINSCAPE_DIST", REPO / "dist"))
ALLOWED = {"linux-vdso.so.1", "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
           "/lib64/ld-linux-x86-64.so.2", "libEGL.so.1", "libGLdispatch.so.0"}


def _one(pattern: str) -> Path:
    found = sorted(DIST.glob(pattern))
    assert found, f"no {pattern} in {DIST}: run scripts/package.sh first"
    return found[-1]


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    tarball = _one(f"trainscape-{trainscape.__version__}-linux-x86_64.tar.gz")
    out = tmp_path_factory.mktemp("release")
    with tarfile.open(tarball) as t:
        t.extractall(out, filter="tar")
    return out / f"trainscape-{trainscape.__version__}-linux-x86_64"


def test_tarball_holds_the_binary_licences_and_readme(release):
    assert os.access(release / "bin" / "trainscape", os.X_OK)
    licences = sorted(p.name for p in (release / "LICENSES").iterdir())
    for name in ("swift.txt", "swift-argument-parser.txt", "libpng.txt", "libdeflate.txt", "zlib.txt",
                 "libstdc++.txt", "DejaVu.txt"):
        assert name in licences
    assert "libegl1" in (release / "README").read_text()
    out = subprocess.run([release / "bin" / "trainscape", "--version"], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == trainscape.__version__


def test_binary_links_only_glibc_and_glvnd(release):
    ldd = subprocess.run(["ldd", release / "bin" / "trainscape"], capture_output=True, text=True, check=True).stdout
    libs = {line.split()[0] for line in ldd.splitlines() if line.strip()}
    assert libs <= ALLOWED, ldd
    assert "libEGL.so.1" in libs
    versions = subprocess.run(["objdump", "-T", release / "bin" / "trainscape"], capture_output=True,
                              text=True, check=True).stdout
    newest = max(int(v.split(".")[1]) for v in set(__import__("re").findall(r"GLIBC_2\.\d+", versions)))
    assert newest <= 35, f"needs glibc 2.{newest}; Ubuntu 22.04 has 2.35"


def test_wheel_carries_the_same_binary(release):
    wheel = _one(f"trainscape-{trainscape.__version__}-py3-none-manylinux_2_*_x86_64.whl")
    with zipfile.ZipFile(wheel) as z:
        info = z.getinfo("trainscape/bin/trainscape")
        assert (info.external_attr >> 16) & 0o111
        assert z.read(info) == (release / "bin" / "trainscape").read_bytes()
        assert "trainscape = trainscape.__main__:main" in z.read(
            f"trainscape-{trainscape.__version__}.dist-info/entry_points.txt").decode()
    if os.environ.get("TRAINSCAPE_TEST_INSTALLED") == "1":
        assert filecmp.cmp(trainscape.binary(), release / "bin" / "trainscape", shallow=False)


# MARK: - A clean Debian root

CHROOT_PACKAGES = ("libegl1", "libgl1-mesa-dri")


def _debian_root() -> Path:
    """A minimal Debian 12 root with only libegl1 and libgl1-mesa-dri (and what they need),
    made once by debootstrap and kept in .build-chroot/ (skips when debootstrap cannot run)."""
    if os.geteuid() != 0:
        pytest.skip("the clean-system test needs root (debootstrap and chroot)")
    if shutil.which("debootstrap") is None:
        pytest.skip("debootstrap is not installed (scripts/setup.sh --python-tests installs it)")
    root = Path(os.environ.get("TRAINSCAPE_CHROOT", REPO / ".build-chroot" / "bookworm-egl"))
    stamp = root / ".trainscape-packages"
    if stamp.is_file() and stamp.read_text() == " ".join(CHROOT_PACKAGES):
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    mirror = os.environ.get("TRAINSCAPE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
    done = subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(CHROOT_PACKAGES)}",
                           "bookworm", str(root), mirror], capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-5:])
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"debootstrap could not build a Debian root (mirror {mirror}):\n{tail}")
    stamp.write_text(" ".join(CHROOT_PACKAGES))
    return root


@pytest.fixture(scope="module")
def debian_root():
    root = _debian_root()
    proc = root / "proc"
    proc.mkdir(exist_ok=True)
    # The static Swift runtime reads its arguments from /proc/self/cmdline.
    mounted = subprocess.run(["mount", "-t", "proc", "proc", str(proc)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount /proc in the Debian root: {mounted.stderr.strip()}")
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(proc)], check=False)


def test_tarball_renders_on_a_clean_debian_root(debian_root, release, tmp_path):
    root = debian_root
    lib = root / "usr" / "lib" / "x86_64-linux-gnu"
    present = {p.name for p in lib.iterdir()}
    assert "libEGL.so.1" in present and "libEGL_mesa.so.0" in present
    for absent in ("libOpenGL.so.0", "libGL.so.1", "libpng16.so.16", "libdeflate.so.0", "libglfw.so.3"):
        assert absent not in present, absent
    assert not any(n.startswith("libhdf5") for n in present)
    assert not (root / "opt" / "swift").exists() and not any(root.glob("usr/lib/swift*"))

    opt = root / "opt" / "trainscape"
    shutil.rmtree(opt, ignore_errors=True)
    shutil.copytree(release, opt, symlinks=True)
    data = root / "data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    shutil.copy(EXAMPLES / "nanochat_d12.jsonl", data / "nanochat_d12.jsonl")
    (data / "surface.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))

    chroot_exe = shutil.which("chroot", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    assert chroot_exe, "no chroot command"

    def chroot(*args):
        return subprocess.run([chroot_exe, str(root), "/opt/trainscape/bin/trainscape", *args],
                              capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": "/root"})

    r = chroot("render", "gradient-flow", "/data/nanochat_d12.jsonl", "-o", "/data/flow.png", "--size", "640x360")
    assert r.returncode == 0, r.stderr
    t = chroot("turntable", "gradient-flow", "/data/nanochat_d12.jsonl", "-o", "/data/spin", "--frames", "4",
               "--size", "320x180", "--animate", "gif", "--quiet")
    assert t.returncode == 0, t.stderr
    doctor = chroot("doctor")
    assert "OpenGL functions: from eglGetProcAddress" in doctor.stdout, doctor.stdout
    h5 = chroot("render", "loss-landscape", "/data/surface.h5", "-o", "/data/h5.png")
    assert h5.returncode == 1 and "cannot load the HDF5 library" in h5.stderr and "libhdf5-103-1" in h5.stderr

    # The same binary on this machine (through libOpenGL.so.0) writes the same bytes.
    host = tmp_path / "nanochat_d12.jsonl"
    shutil.copy(EXAMPLES / "nanochat_d12.jsonl", host)
    binary = release / "bin" / "trainscape"
    subprocess.run([binary, "render", "gradient-flow", host, "-o", tmp_path / "flow.png", "--size", "640x360"],
                   check=True, capture_output=True)
    subprocess.run([binary, "turntable", "gradient-flow", host, "-o", tmp_path / "spin", "--frames", "4",
                    "--size", "320x180", "--animate", "gif", "--quiet"], check=True, capture_output=True)
    assert filecmp.cmp(data / "flow.png", tmp_path / "flow.png", shallow=False)
    frames = sorted((data / "spin" / "run_001").glob("*"))
    assert [f.name for f in frames] == sorted(f.name for f in (tmp_path / "spin" / "run_001").glob("*"))
    assert len([f for f in frames if f.suffix == ".png"]) == 4
    for f in frames:
        if f.name != "manifest.json":
            assert filecmp.cmp(f, tmp_path / "spin" / "run_001" / f.name, shallow=False), f.name
    # And it is a picture, not a blank frame.
    from PIL import Image

    image = Image.open(data / "flow.png").convert("RGB")
    assert image.size == (640, 360) and len(image.getcolors(1 << 24)) > 200
