"""render/export/turntable: the same bytes as the command line, errors with its message."""
from __future__ import annotations

import filecmp
import json

import pytest

import trainscape
from trainscape._cli import flags


def test_version_matches_binary(cli):
    assert trainscape.version() == trainscape.__version__
    assert cli("--version").stdout.strip() == trainscape.__version__


@pytest.mark.parametrize("kind,extra", [
    ("gradient-flow", {"size": (480, 270), "log_z": "on", "camera_eye": (1.5, -1.5, 1.2)}),
    ("trajectory", {"size": (400, 300), "grad_key": "grad_norm/total", "steps": (100, 900)}),
])
def test_render_writes_the_same_bytes_as_the_cli(tmp_path, cli, example_run, kind, extra):
    api = trainscape.render(kind, example_run, output=tmp_path / "api.png", **extra)
    assert api == tmp_path / "api.png"
    args = ["render", kind, example_run, "-o", tmp_path / "cli.png", *flags(extra)]
    cli(*args)
    assert api.stat().st_size > 10_000
    assert filecmp.cmp(api, tmp_path / "cli.png", shallow=False)


def test_export_writes_the_same_bytes_as_the_cli(tmp_path, cli, example_run):
    for ext in ("plotly.json", "pts.json", "glb"):
        api = trainscape.export("gradient-flow", example_run, output=tmp_path / f"api.{ext}")
        cli("export", "gradient-flow", example_run, "-o", tmp_path / f"cli.{ext}")
        assert filecmp.cmp(api, tmp_path / f"cli.{ext}", shallow=False), ext
    fig = json.loads((tmp_path / "api.plotly.json").read_text())
    assert fig["data"][0]["type"] == "surface"
    # Plain number arrays, which the W&B panel draws.
    assert isinstance(fig["data"][0]["z"][0][0], (int, float))


def test_turntable_returns_the_run_folder_with_the_same_frames(tmp_path, cli, example_run):
    opts = {"frames": 4, "size": (320, 180), "animate": "gif", "quiet": True}
    folder = trainscape.turntable("gradient-flow", example_run, output=tmp_path / "api", **opts)
    assert folder.parent == tmp_path / "api" and folder.is_dir()
    cli("turntable", "gradient-flow", example_run, "-o", tmp_path / "cli", *flags(opts))
    cli_folder = next((tmp_path / "cli").iterdir())
    frames = sorted(p.name for p in folder.glob("*.png"))
    assert len(frames) == 4
    assert frames == sorted(p.name for p in cli_folder.glob("*.png"))
    for name in frames + [g.name for g in folder.glob("*.gif")]:
        assert filecmp.cmp(folder / name, cli_folder / name, shallow=False), name
    assert len(list(folder.glob("*.gif"))) == 1


def test_failure_raises_with_the_cli_message(tmp_path, cli):
    with pytest.raises(trainscape.TrainscapeError) as err:
        trainscape.render("gradient-flow", tmp_path / "missing.jsonl", output=tmp_path / "x.png")
    done = cli("render", "gradient-flow", tmp_path / "missing.jsonl", "-o", tmp_path / "x.png", check=False)
    assert done.returncode == err.value.returncode == 1
    assert err.value.message in done.stderr
    assert "missing.jsonl" in err.value.message and "no such file" in err.value.message
    assert not (tmp_path / "x.png").exists()


def test_never_overwrites_without_force(tmp_path, example_run):
    out = trainscape.render("gradient-flow", example_run, output=tmp_path / "a.png", size=(320, 180))
    with pytest.raises(trainscape.TrainscapeError, match="exists"):
        trainscape.render("gradient-flow", example_run, output=out, size=(320, 180))
    trainscape.render("gradient-flow", example_run, output=out, size=(320, 180), force=True)


def test_unknown_option_is_an_error_naming_it(tmp_path, example_run):
    with pytest.raises(trainscape.TrainscapeError, match="no_such_option|no-such-option"):
        trainscape.render("gradient-flow", example_run, output=tmp_path / "a.png", no_such_option=3)


def test_flag_mapping():
    assert flags({"log_z": "on", "force": True, "quiet": False, "title": None}) == ["--log-z", "on", "--force"]
    assert flags({"size": (1280, 720), "camera_eye": [1.5, -1.5, 1.2], "steps": (10, None)}) == [
        "--size", "1280x720", "--camera-eye", "1.5,-1.5,1.2", "--steps", "10:"]


def test_console_script_runs_the_binary(cli):
    done = cli("render", "--help")
    assert "gradient-flow" in done.stdout
    done = cli("render", "no-such-kind", "x", check=False)
    assert done.returncode != 0 and "no-such-kind" in done.stderr
