"""trainscape.wandb_3d_viz against nanochat's original module on the same metrics: the same
traces (types, names, modes), the same data (surfaces, trajectories, point clouds; embeddings
up to the sign of each principal component), titles, axis titles, colour bars, cameras and
sizes, and colour scales that agree within 20/255 per channel (Trainscape's colour maps are
matplotlib's; the original names Plotly's)."""
from __future__ import annotations

import base64
import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import plotly.colors
import pytest
import torch

from trainscape import wandb_3d_viz as ours

from conftest import REPO


def _original_path() -> Path:
    candidates = [os.environ.get("TRAINSCAPE_SHARED"), REPO.parent / "shared", Path("/work/shared")]
    for c in candidates:
        if c and (Path(c) / "fixtures" / "nanochat-module" / "wandb_3d_viz.py").is_file():
            return Path(c) / "fixtures" / "nanochat-module" / "wandb_3d_viz.py"
    raise AssertionError("nanochat's wandb_3d_viz.py not found in shared/fixtures/nanochat-module "
                         "(set TRAINSCAPE_SHARED to the shared/ folder)")


@pytest.fixture(scope="module")
def original():
    spec = importlib.util.spec_from_file_location("nanochat_wandb_3d_viz", _original_path())
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def metrics():
    # The showcase example's synthetic run (examples/showcase_3d_viz_example.py), seeded.
    rng = np.random.default_rng(7)
    n = 200
    steps = np.arange(n)
    return {
        'steps': steps,
        'losses': 3.0 * np.exp(-steps / 50) + 0.5 + rng.normal(0, 0.1, n),
        'learning_rates': 0.001 * (1 - steps / n) + 0.0001,
        'grad_norms': 0.5 * np.exp(-steps / 100) + 0.1 + rng.normal(0, 0.05, n),
        'rewards': np.clip(0.3 + 0.4 * (1 - np.exp(-steps / 50)) + rng.normal(0, 0.05, n), 0, 1),
        'accuracies': None,
    }


def _array(v):
    if v is None:
        return None
    if isinstance(v, dict) and "bdata" in v:  # plotly's typed arrays (the original's numpy data)
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if "shape" in v:
            a = a.reshape([int(n) for n in str(v["shape"]).split(",")])
        return a.astype(float)
    a = np.array(v, dtype=object)
    return np.where(a == None, np.nan, a).astype(float)  # noqa: E711


def _colors(scale):
    if isinstance(scale, str):
        scale = plotly.colors.get_colorscale(scale)
    scale = [[float(s), c] for s, c in scale]
    rgb = plotly.colors.sample_colorscale(scale, list(np.linspace(0, 1, 11)), colortype="tuple")
    return np.array([[float(c) * (255 if max(t) <= 1 else 1) for c in t] for t in rgb])


def assert_same_figure(orig, mine, *, signs=False):
    o, m = orig.to_plotly_json(), mine.to_plotly_json()
    assert len(o["data"]) == len(m["data"])
    by_type = {t["type"]: t for t in m["data"]}
    assert sorted(by_type) == sorted(t["type"] for t in o["data"])
    for ot in o["data"]:
        mt = by_type[ot["type"]]
        assert mt.get("name") == ot.get("name")
        for key in ("mode", "opacity", "showscale"):
            if key in ot:
                assert mt.get(key, 1 if key == "opacity" else None) == ot[key], key
        axes = [_array(ot.get(k)) for k in "xyz"]
        ours_axes = [_array(mt.get(k)) for k in "xyz"]
        for i, (a, b) in enumerate(zip(axes, ours_axes)):
            if a is None:
                continue
            if b.shape != a.shape:
                b = np.broadcast_to(b, a.shape)
            # Embeddings: the original's PCA runs on float32 tensors (sklearn keeps float32).
            rtol, atol = (1e-4, 1e-5) if signs else (1e-6, 1e-9)
            if signs and not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
                b = -b
            np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, equal_nan=True, err_msg="xyz"[i])
        if "colorscale" in ot:
            assert np.abs(_colors(mt["colorscale"]) - _colors(ot["colorscale"])).max() <= 20
        for part in ("marker", "line"):
            if part in ot and "colorscale" in ot[part]:
                assert np.abs(_colors(mt[part]["colorscale"]) - _colors(ot[part]["colorscale"])).max() <= 20
            if part in ot and "color" in ot[part] and not isinstance(ot[part]["color"], str):
                a, b = _array(ot[part]["color"]), _array(mt[part]["color"])
                norm = lambda v: (v - np.nanmin(v)) / (np.nanmax(v) - np.nanmin(v))  # noqa: E731
                np.testing.assert_allclose(norm(b), norm(a), atol=1e-9)
            if part in ot and isinstance(ot[part].get("color"), str):
                assert mt[part]["color"] == ot[part]["color"]
        bar = ot.get("colorbar") or ot.get("marker", {}).get("colorbar")
        if bar:
            mbar = mt.get("colorbar") or mt.get("marker", {}).get("colorbar")
            assert mbar["title"]["text"] == bar["title"]["text"]
    ol, ml = o["layout"], m["layout"]
    assert ml["title"]["text"] == ol["title"]["text"]
    for axis in ("xaxis", "yaxis", "zaxis"):
        assert ml["scene"][axis]["title"]["text"] == ol["scene"][axis]["title"]["text"]
    if "camera" in ol["scene"]:
        assert ml["scene"]["camera"]["eye"] == ol["scene"]["camera"]["eye"]
    assert (ml.get("width"), ml.get("height")) == (ol.get("width"), ol.get("height"))


def test_loss_landscape(original, metrics):
    assert_same_figure(original.create_3d_loss_landscape(metrics), ours.create_3d_loss_landscape(metrics))
    short = {k: (v[:60] if v is not None else None) for k, v in metrics.items()}
    assert_same_figure(original.create_3d_loss_landscape(short, window_size=80),
                       ours.create_3d_loss_landscape(short, window_size=80))


def test_reward_landscape(original, metrics):
    assert_same_figure(original.create_3d_rl_reward_landscape(metrics), ours.create_3d_rl_reward_landscape(metrics))
    none = dict(metrics, rewards=None)
    assert len(ours.create_3d_rl_reward_landscape(none).data) == 0 == len(original.create_3d_rl_reward_landscape(none).data)


def test_training_dynamics_with_and_without_rewards(original, metrics):
    assert_same_figure(original.create_3d_loss_gradient_reward_space(metrics),
                       ours.create_3d_loss_gradient_reward_space(metrics))
    none = dict(metrics, rewards=None)
    assert_same_figure(original.create_3d_loss_gradient_reward_space(none),
                       ours.create_3d_loss_gradient_reward_space(none))


class Net(torch.nn.Module):
    """Four layers of two parameters each, in order: the original's assumption holds."""

    def __init__(self):
        super().__init__()
        self.layers = torch.nn.ModuleList(torch.nn.Linear(6, 6) for _ in range(4))

    def forward(self, x):
        for layer in self.layers:
            x = torch.tanh(layer(x))
        return x


def test_gradient_flow_buffers_and_figure(original, metrics):
    torch.manual_seed(0)
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    a, b = original.GradientFlowBuffer(num_layers=4, max_steps=30), ours.GradientFlowBuffer(num_layers=4, max_steps=30)
    for step in range(40):
        opt.zero_grad()
        model(torch.randn(16, 6)).pow(2).mean().backward()
        a.add(step * 10, model)
        b.add(step * 10, model)
        opt.step()
    (X, Y, Z), (X2, Y2, Z2) = a.get_3d_surface(), b.get_3d_surface()
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(Y, Y2)
    np.testing.assert_allclose(Z2, Z, rtol=1e-6)
    assert Z.shape == (4, 30)
    assert_same_figure(original.create_3d_gradient_flow(X, Y, Z), ours.create_3d_gradient_flow(X, Y, Z))
    assert len(ours.create_3d_gradient_flow(None, None, None).data) == 0


def test_gradient_flow_buffer_reads_gpt_style_names():
    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = torch.nn.Linear(4, 4)

    class GPT(torch.nn.Module):  # nanochat's GPT names its blocks transformer.h.N
        def __init__(self):
            super().__init__()
            self.transformer = torch.nn.ModuleDict({"h": torch.nn.ModuleList(Block() for _ in range(3))})

        def forward(self, x):
            for blk in self.transformer["h"]:
                x = blk.attn(x)
            return x

    model = GPT()
    model(torch.randn(2, 4)).sum().backward()
    buf = ours.GradientFlowBuffer(num_layers=3)
    buf.add(0, model)
    _, _, Z = buf.get_3d_surface()
    for i, blk in enumerate(model.transformer["h"]):
        want = np.mean([float(p.grad.norm()) for p in blk.parameters()])
        assert Z[i, 0] == pytest.approx(want, rel=1e-6)


def test_attention_point_cloud(original):
    rng = np.random.default_rng(3)
    a = torch.tensor(rng.random((2, 3, 12, 12)), dtype=torch.float32).softmax(-1) * 4
    o = original.create_3d_attention_visualization(a, layer_idx=0, head_idx=1)
    m = ours.create_3d_attention_visualization(a, layer_idx=0, head_idx=1)
    po = np.array(json.loads(Path(o._path).read_text()))
    pm = np.array(json.loads(Path(m._path).read_text()))
    assert po.shape == pm.shape and po.shape[1] == 6
    order = lambda p: p[np.lexsort((p[:, 1], p[:, 0]))]  # noqa: E731
    np.testing.assert_allclose(order(pm), order(po), rtol=1e-6, atol=1e-6)
    assert ours.create_3d_attention_visualization(torch.zeros(4, 4), 0, 0) is None
    assert original.create_3d_attention_visualization(torch.zeros(4, 4), 0, 0) is None


def test_embedding_trajectory(original):
    torch.manual_seed(1)
    drift = torch.randn(16)
    embeddings = [torch.randn(16) * 0.3 + drift * t for t in range(12)]
    labels = [f"step {t * 100}" for t in range(12)]
    assert_same_figure(original.create_3d_embedding_trajectory(embeddings, labels, method='pca'),
                       ours.create_3d_embedding_trajectory(embeddings, labels, method='pca'), signs=True)
    fig = ours.create_3d_embedding_trajectory(embeddings, labels, method='pca')
    assert list(fig.data[0].text) == labels


def test_embedding_trajectory_umap_is_trainscapes_own(recwarn):
    torch.manual_seed(1)
    drift = torch.randn(16)
    embeddings = [torch.randn(16) * 0.3 + drift * t for t in range(12)]
    fig = ours.create_3d_embedding_trajectory(embeddings, [str(t) for t in range(12)], method='umap')
    assert not [w for w in recwarn if issubclass(w.category, ours.TrainscapeWarning)]
    assert fig.layout.title.text == '3D Embedding Space Trajectory (UMAP)'
    assert len(fig.data) == 1
    pts = np.column_stack([np.asarray(fig.data[0][k], float) for k in "xyz"])
    assert pts.shape == (12, 3) and np.isfinite(pts).all() and np.ptp(pts, axis=0).min() > 0
    # The checkpoints drift along one direction, so each one's nearest neighbour in the layout
    # should be one of its three nearest in the embedding space.
    x = torch.stack(embeddings).numpy()
    hits = 0
    for i in range(12):
        near_x = np.argsort(np.linalg.norm(x - x[i], axis=1))[1:4]
        near_p = np.argsort(np.linalg.norm(pts - pts[i], axis=1))[1]
        hits += near_p in near_x
    assert hits >= 10, hits


def test_checkpoint_summary_has_the_same_keys(original, metrics):
    mb_o, mb_m = original.TrainingMetricsBuffer(), ours.TrainingMetricsBuffer()
    for i in range(120):
        args = (int(metrics['steps'][i]), float(metrics['losses'][i]), float(metrics['learning_rates'][i]),
                float(metrics['grad_norms'][i]), float(metrics['rewards'][i]))
        mb_o.add(*args)
        mb_m.add(*args)
    for k, v in mb_o.get_arrays().items():
        w = mb_m.get_arrays()[k]
        assert (v is None and w is None) or np.array_equal(v, w)
    so = original.create_checkpoint_3d_summary(mb_o, checkpoint_step=120)
    sm = ours.create_checkpoint_3d_summary(mb_m, checkpoint_step=120)
    assert sorted(so) == sorted(sm) == ['3d/loss_landscape', '3d/reward_landscape', '3d/training_dynamics', 'step']
    for key in so:
        if key != 'step':
            assert_same_figure(so[key], sm[key])
