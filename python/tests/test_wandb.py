"""trainscape.wandb.log_landscapes into a real W&B run (offline): every media type arrives,
the files wandb writes render with `trainscape render figure`, failures warn and never raise."""
from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import trainscape
import trainscape.wandb as tw
from trainscape import MetricsLogger, TrainscapeWarning

from conftest import read_jsonl


@pytest.fixture
def offline_run(tmp_path, monkeypatch):
    import wandb

    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    run = wandb.init(project="trainscape-tests", dir=str(tmp_path), mode="offline")
    yield run
    if wandb.run is not None:
        wandb.finish()


def media_step(path: Path) -> int:
    """W&B names media files KEY_STEP_HASH.EXT after the history step they were logged at."""
    return int(path.name.split(".")[0].rsplit("_", 2)[1])


def history(run_dir: Path, cli) -> list:
    """The run's history rows, read back from its .wandb file by trainscape itself."""
    wandb_file = next(run_dir.glob("*.wandb"))
    out = run_dir / "history.jsonl"
    cli("convert", wandb_file, "-o", out)
    return read_jsonl(out)


def test_every_media_type_reaches_the_run_and_renders(tmp_path, offline_run, example_run, cli):
    import wandb

    attention = tmp_path / "attn.npy"
    rng = np.random.default_rng(0)
    s = rng.normal(size=(2, 32, 32))
    np.save(attention, np.exp(s) / np.exp(s).sum(-1, keepdims=True))

    flow = tw.log_landscapes(offline_run, example_run, kinds=["gradient-flow", "loss-landscape"], step=100,
                             turntable={"frames": 4, "size": (320, 180)}, size=(640, 360))
    # A training step never waits for a render: the call returned before the work was done.
    assert not flow.done()
    attn = tw.log_landscapes(offline_run, attention, kinds="attention", step=100, size=(640, 360))
    final = tw.log_landscapes(offline_run, example_run, kinds="trajectory", final=True, size=(640, 360))
    assert final.done()  # final=True waits
    logged = {**flow.result(timeout=600), **attn.result(timeout=600), **final.result()}
    assert sorted(logged) == sorted([
        "3d/gradient_flow/plotly", "3d/gradient_flow/image", "3d/gradient_flow/turntable",
        "3d/loss_landscape/plotly", "3d/loss_landscape/image", "3d/loss_landscape/turntable",
        "3d/attention/points", "3d/attention/image",
        "final/trajectory/plotly", "final/trajectory/image"])
    run_dir = Path(offline_run.dir).parent
    wandb.finish()

    media = run_dir / "files" / "media"
    plots = sorted(media.glob("plotly/**/*.plotly.json"))
    points = sorted(media.glob("object3D/**/*.pts.json"))
    images = sorted(media.glob("images/**/*.png"))
    videos = sorted(media.glob("videos/**/*.gif"))
    assert len(plots) == 3 and len(points) == 1 and len(images) == 4 and len(videos) == 2, sorted(media.rglob("*"))
    for plot in plots:
        fig = json.loads(plot.read_text())
        z = fig["data"][0].get("z")
        assert z is None or isinstance(z, list)  # plain arrays, never base64 'bdata'
        assert "bdata" not in plot.read_text()
    for f in plots + points:
        out = tmp_path / (f.name + ".png")
        cli("render", "figure", f, "-o", out, "--size", "480x270")
        assert out.stat().st_size > 5_000
    for v in videos:
        assert v.read_bytes()[:6] in (b"GIF89a", b"GIF87a")

    # Each media file is named after the W&B history step it was logged at; that history row
    # carries the training step.
    rows = {r["step"]: r for r in history(run_dir, cli)}
    for f in plots + points + images + videos:
        row = rows.get(media_step(f), {})
        if "/final/" in f.as_posix():
            assert "trainscape/step" not in row, row
        else:
            assert row.get("trainscape/step") == 100, (f, row)


def test_failures_warn_and_never_raise(tmp_path, offline_run):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = tw.log_landscapes(offline_run, tmp_path / "missing.jsonl", kinds="gradient-flow", step=1)
        assert f.result(timeout=120) == {}
        g = tw.log_landscapes(offline_run, tmp_path / "missing.jsonl", kinds="no-such-kind", step=1)
        assert g.result() == {}
    messages = [str(w.message) for w in caught if issubclass(w.category, TrainscapeWarning)]
    assert any("missing.jsonl" in m and "no such file" in m for m in messages), messages
    assert any("no-such-kind" in m for m in messages), messages


def test_without_a_run_it_warns(tmp_path, example_run, monkeypatch):
    import wandb

    assert wandb.run is None
    with pytest.warns(TrainscapeWarning, match="no active W&B run"):
        assert tw.log_landscapes(None, example_run).result() == {}


def test_a_growing_metrics_logger_is_read_at_a_complete_line(tmp_path, offline_run):
    log = MetricsLogger(tmp_path / "metrics.jsonl")
    for step in range(80):
        log.log(step, {"loss": 2.0 / (step + 1), "lr": 1e-3, "grad_norm": 1.0,
                       **{f"grad_norm/layer_{i}": 1.0 + i + step / 100 for i in range(4)}})
    # A half-written line at the end (a writer mid-row) is left out, not an error.
    with open(log.path, "a") as f:
        f.write('{"step": 80, "loss": 0.0')
    done = tw.log_landscapes(offline_run, log, kinds=["gradient-flow", "loss-landscape"], step=79,
                             media=["plotly"]).result(timeout=600)
    assert sorted(done) == ["3d/gradient_flow/plotly", "3d/loss_landscape/plotly"]


def test_only_rank_zero_logs(tmp_path, offline_run, example_run, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    assert tw.log_landscapes(offline_run, example_run).result() == {}


def test_a_request_still_waiting_is_replaced_by_the_next_with_a_warning(tmp_path, example_run):
    from trainscape._background import write_landscapes

    out = tmp_path / "out"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = write_landscapes(out, example_run, kinds="gradient-flow", step=1, media=["image"])
        while not (first.running() or first.done()):  # the worker has taken it
            time.sleep(0.01)
        second = write_landscapes(out, example_run, kinds="gradient-flow", step=2, media=["image"])
        third = write_landscapes(out, example_run, kinds="gradient-flow", step=3, media=["image"])
        kept = write_landscapes(out, example_run, kinds="trajectory", step=3, media=["image"])
        assert tw.flush(timeout=600)
    assert first.result() and third.result() and kept.result()
    assert second.result() == {}
    assert sorted(p.name for p in out.iterdir()) == ["step_000001", "step_000003"]
    assert any("skipped the 3D media of step 2" in str(w.message) for w in caught)
