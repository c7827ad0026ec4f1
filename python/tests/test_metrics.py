"""MetricsLogger and grad_norms."""
from __future__ import annotations

import json
import math
import os
import select
import subprocess
import time

import numpy as np
import pytest
import torch

import trainscape
from trainscape import MetricsLogger, grad_norms

from conftest import read_jsonl


def test_accepts_torch_numpy_and_python_scalars_and_keeps_nan(tmp_path):
    path = tmp_path / "m.jsonl"
    with MetricsLogger(path) as log:
        log.log(0, {"loss": torch.tensor(2.5), "lr": np.float32(1e-3), "tokens": np.int64(4096),
                    "acc": 0.5, "n": 3, "flag": True, "grad": torch.tensor([1.25]),
                    "nan": float("nan"), "inf": torch.tensor(float("inf")), "opt": {"beta": np.array(0.9)}})
        log.log(torch.tensor(1), {"loss": float("nan")})
    rows = read_jsonl(path)
    assert rows[0] == {"step": 0, "loss": 2.5, "lr": pytest.approx(1e-3), "tokens": 4096, "acc": 0.5,
                       "n": 3, "flag": 1, "grad": 1.25, "nan": rows[0]["nan"], "inf": math.inf,
                       "opt/beta": pytest.approx(0.9)}
    assert math.isnan(rows[0]["nan"]) and rows[1]["step"] == 1 and math.isnan(rows[1]["loss"])
    assert "NaN" in path.read_text().splitlines()[1]


def test_trainscape_reads_nan_as_a_hole(tmp_path):
    path = tmp_path / "m.jsonl"
    with MetricsLogger(path) as log:
        for s in range(6):
            log.log(s, {f"grad_norm/layer_{i}": (float("nan") if (i, s) == (1, 3) else 1.0 + i + s)
                        for i in range(3)})
    fig = json.loads(trainscape.export("gradient-flow", path, output=tmp_path / "f.plotly.json",
                                       log_z="off").read_text())
    z = fig["data"][0]["z"]
    assert z[1][3] is None
    assert z[2][5] == 8.0 and sum(v is None for row in z for v in row) == 1


def test_rejects_what_is_not_one_number(tmp_path):
    log = MetricsLogger(tmp_path / "m.jsonl")
    with pytest.raises(ValueError, match="'h'.*shape"):
        log.log(0, {"h": torch.ones(3)})
    with pytest.raises(TypeError, match="'s'"):
        log.log(0, {"s": "text"})
    with pytest.raises(TypeError, match="step"):
        log.log(0.5, {"loss": 1.0})
    with pytest.raises(ValueError, match="'step' key"):
        log.log(0, {"step": 1})


def test_every_row_is_visible_to_readers_at_once(tmp_path):
    path = tmp_path / "m.jsonl"
    log = MetricsLogger(path)
    for s in range(3):
        log.log(s, {"loss": float(s)})
        assert len(read_jsonl(path)) == s + 1  # flushed before log() returned
    log.close()


def test_batched_rows_reach_the_file_within_flush_seconds(tmp_path):
    path = tmp_path / "m.jsonl"
    log = MetricsLogger(path, flush_seconds=0.3)
    log.log(0, {"loss": 0.0})  # the first write flushes
    log.log(1, {"loss": 1.0})
    log.log(2, {"loss": 2.0})
    deadline = time.monotonic() + 5
    while len(read_jsonl(path)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(read_jsonl(path)) == 3
    log.close()


def test_a_follow_reader_sees_rows_as_they_are_logged(tmp_path, installed_package):
    path = tmp_path / "m.jsonl"
    log = MetricsLogger(path)
    log.log(0, {"loss": 1.0})
    proc = subprocess.Popen([str(trainscape.binary()), "convert", str(path), "--follow", "-o", "-"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
    def line(timeout=60):
        # Never hang the suite: a reader that does not see the row fails the test.
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        assert ready, f"convert --follow printed nothing in {timeout} s"
        return json.loads(proc.stdout.readline())

    try:
        first = line()
        assert first["step"] == 0
        log.log(1, {"loss": 0.5})
        second = line()
        assert second["step"] == 1 and second["loss"] == 0.5
    finally:
        proc.kill()
        proc.wait()
        log.close()


@pytest.mark.parametrize("env", [{"RANK": "1"}, {"LOCAL_RANK": "2"}])
def test_only_rank_zero_writes(tmp_path, monkeypatch, env):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    path = tmp_path / "m.jsonl"
    log = MetricsLogger(path)
    log.log(0, {"loss": 1.0})
    log.close()
    assert not path.exists()
    assert trainscape.process_rank() == int(next(iter(env.values())))


def test_rank_from_torch_distributed(tmp_path, monkeypatch):
    import torch.distributed as dist

    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "29533")
    dist.init_process_group("gloo", rank=0, world_size=1)
    try:
        monkeypatch.setenv("RANK", "3")  # torch.distributed, when initialised, comes first
        assert trainscape.process_rank() == 0
        path = tmp_path / "m.jsonl"
        with MetricsLogger(path) as log:
            log.log(0, {"loss": 1.0})
        assert path.exists()
    finally:
        dist.destroy_process_group()


def test_modes_and_refusals(tmp_path):
    path = tmp_path / "m.jsonl"
    with MetricsLogger(path) as log:
        log.log(0, {"loss": 1.0})
    with pytest.raises(FileExistsError, match="mode='a'"):
        MetricsLogger(path).log(1, {"loss": 1.0})
    with MetricsLogger(path, mode="a") as log:
        log.log(1, {"loss": 0.5})
    assert [r["step"] for r in read_jsonl(path)] == [0, 1]
    with MetricsLogger(path, mode="w") as log:
        log.log(5, {"loss": 0.1})
    assert [r["step"] for r in read_jsonl(path)] == [5]
    link = tmp_path / "link.jsonl"
    os.symlink(path, link)
    with pytest.raises(FileExistsError, match="symbolic link"):
        MetricsLogger(link, mode="w").log(0, {"loss": 1.0})
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(FileExistsError, match="not a regular file"):
        MetricsLogger(fifo, mode="a").log(0, {"loss": 1.0})


class Stack(torch.nn.Module):
    def __init__(self, layers=3, width=8):
        super().__init__()
        self.embed = torch.nn.Linear(4, width)
        self.layers = torch.nn.ModuleList(torch.nn.Linear(width, width) for _ in range(layers))
        self.head = torch.nn.Linear(width, 1, bias=False)
        self.frozen = torch.nn.Parameter(torch.ones(2), requires_grad=False)

    def forward(self, x):
        x = self.embed(x)
        for layer in self.layers:
            x = torch.tanh(layer(x))
        return self.head(x)


def test_grad_norms_name_every_parameter_as_named_parameters_does():
    torch.manual_seed(0)
    model = Stack()
    model(torch.randn(16, 4)).pow(2).mean().backward()
    before = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    rng = torch.get_rng_state()
    norms = grad_norms(model)
    expected = {f"grad_norm/{n}": float(torch.linalg.vector_norm(g)) for n, g in before.items()}
    assert norms.keys() == expected.keys()
    assert "grad_norm/layers.1.weight" in norms and "grad_norm/frozen" not in norms
    for k, v in expected.items():
        assert norms[k] == pytest.approx(v, rel=1e-6)
    for n, p in model.named_parameters():
        if p.grad is not None:
            assert torch.equal(p.grad, before[n])
    assert torch.equal(torch.get_rng_state(), rng)
    assert grad_norms(model, prefix="g/")["g/head.weight"] == norms["grad_norm/head.weight"]


class Flat(torch.nn.Module):
    """Parameters named layer_0, layer_1, ...: the family the gradient flow has always read."""

    def __init__(self, layers=4):
        super().__init__()
        for i in range(layers):
            setattr(self, f"layer_{i}", torch.nn.Parameter(torch.randn(6, 6) * (i + 1)))

    def forward(self, x):
        for i in range(4):
            x = torch.tanh(x @ getattr(self, f"layer_{i}"))
        return x


def test_gradient_flow_reads_grad_norms(tmp_path, cli):
    torch.manual_seed(0)
    model = Flat()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    path = tmp_path / "m.jsonl"
    with MetricsLogger(path) as log:
        for step in range(12):
            opt.zero_grad()
            model(torch.randn(8, 6)).pow(2).mean().backward()
            log.log(step, {"loss": 1.0, **grad_norms(model)})
            opt.step()
    out = trainscape.export("gradient-flow", path, output=tmp_path / "f.plotly.json", log_z="off")
    fig = json.loads(out.read_text())
    z = np.array(fig["data"][0]["z"], dtype=float)
    rows = read_jsonl(path)
    want = np.array([[r[f"grad_norm/layer_{i}"] for r in rows] for i in range(4)])
    assert z.shape == (4, 12)
    np.testing.assert_allclose(z, want, rtol=1e-9)


def test_gradient_flow_reads_dotted_parameter_names(tmp_path):
    """Per-layer families from names such as grad_norm/layers.0.weight (issue #12)."""
    torch.manual_seed(0)
    model = Stack(layers=3)
    path = tmp_path / "m.jsonl"
    with MetricsLogger(path) as log:
        for step in range(10):
            model.zero_grad()
            model(torch.randn(8, 4)).pow(2).mean().backward()
            log.log(step, grad_norms(model))
    out = trainscape.export("gradient-flow", path, output=tmp_path / "f.plotly.json", log_z="off")
    fig = json.loads(out.read_text())
    z = np.array(fig["data"][0]["z"], dtype=float)
    assert z.shape == (3, 10)
    # Each layer's parameters (weight and bias) combine as the l2 norm of the layer's gradient.
    rows = read_jsonl(path)
    want = np.array([[np.hypot(r[f"grad_norm/layers.{i}.weight"], r[f"grad_norm/layers.{i}.bias"]) for r in rows]
                     for i in range(3)])
    np.testing.assert_allclose(z, want, rtol=1e-9)
