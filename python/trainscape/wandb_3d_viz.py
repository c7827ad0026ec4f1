"""A drop-in for nanochat's ``nanochat/wandb_3d_viz.py``, backed by the trainscape binary.

Move to it by changing one import::

    -from nanochat.wandb_3d_viz import TrainingMetricsBuffer, GradientFlowBuffer, create_checkpoint_3d_summary
    +from trainscape.wandb_3d_viz import TrainingMetricsBuffer, GradientFlowBuffer, create_checkpoint_3d_summary

The classes and functions have the original names, arguments and return types (plotly
``go.Figure``, ``wandb.Object3D``, the summary dict), and the figures hold the same data, titles,
axis titles and cameras. The landscapes are computed by the binary (sliding-window loss
surface, griddata-style reward surface, PCA/t-SNE, attention thresholding) from the buffers,
written as JSONL or ``.npy``; its Plotly export uses plain number arrays, which the W&B panel
draws (Plotly 6's base64 typed arrays show as empty there).

Differences, on purpose:
- ``GradientFlowBuffer.add`` groups parameters by the layer index in their names
  (``layers.3.``, and also GPT-style ``h.3.`` and ``blocks.3.``) instead of assuming equal
  counts in order; where the original's assumption holds the result is the same, and
  nanochat's own GPT (``transformer.h.N``), for which the original records nothing, gets a
  surface.
- ``create_3d_embedding_trajectory(..., method='umap')`` runs Trainscape's own UMAP (seed 42,
  as the original's ``random_state=42``), so umap-learn isn't needed; its layout is a UMAP
  layout of the same data, not umap-learn's exact coordinates.
- ``create_3d_attention_visualization`` thresholds with the binary and builds the same points
  and colours without the original's per-element Python loop.
"""
from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections import deque
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import _cli
from ._cli import TrainscapeWarning

__all__ = [
    "TrainingMetricsBuffer",
    "GradientFlowBuffer",
    "create_3d_loss_landscape",
    "create_3d_gradient_flow",
    "create_3d_rl_reward_landscape",
    "create_3d_attention_visualization",
    "create_3d_embedding_trajectory",
    "create_3d_loss_gradient_reward_space",
    "log_3d_plotly_to_wandb",
    "create_checkpoint_3d_summary",
]


class TrainingMetricsBuffer:
    """Buffer for storing training metrics to create 3D visualizations."""

    def __init__(self, max_size: int = 1000):
        self.max_size = max_size
        self.losses = deque(maxlen=max_size)
        self.learning_rates = deque(maxlen=max_size)
        self.grad_norms = deque(maxlen=max_size)
        self.steps = deque(maxlen=max_size)
        self.rewards = deque(maxlen=max_size)
        self.accuracies = deque(maxlen=max_size)

    def add(self, step: int, loss: float, lr: float, grad_norm: float,
            reward: Optional[float] = None, accuracy: Optional[float] = None):
        """Add metrics for a training step."""
        self.steps.append(step)
        self.losses.append(loss)
        self.learning_rates.append(lr)
        self.grad_norms.append(grad_norm)
        if reward is not None:
            self.rewards.append(reward)
        if accuracy is not None:
            self.accuracies.append(accuracy)

    def get_arrays(self) -> Dict[str, np.ndarray]:
        """Get numpy arrays of all metrics."""
        return {
            'steps': np.array(list(self.steps)),
            'losses': np.array(list(self.losses)),
            'learning_rates': np.array(list(self.learning_rates)),
            'grad_norms': np.array(list(self.grad_norms)),
            'rewards': np.array(list(self.rewards)) if self.rewards else None,
            'accuracies': np.array(list(self.accuracies)) if self.accuracies else None,
        }


_LAYER = re.compile(r"(?:^|\.)(?:layers|layer|h|blocks|block)\.(\d+)\.")


class GradientFlowBuffer:
    """Buffer for tracking gradient flow across layers."""

    def __init__(self, num_layers: int, max_steps: int = 100):
        self.num_layers = num_layers
        self.max_steps = max_steps
        self.gradient_norms = deque(maxlen=max_steps)  # arrays [num_layers]
        self.steps = deque(maxlen=max_steps)

    def add(self, step: int, model: Any):
        """Extract and store the mean gradient norm of each layer's parameters."""
        import torch  # noqa: PLC0415

        per_layer: Dict[int, List[Any]] = {}
        with torch.no_grad():
            for name, param in model.named_parameters():
                if param.grad is None:
                    continue
                m = _LAYER.search(name)
                if m is None:
                    continue
                per_layer.setdefault(int(m.group(1)), []).append(torch.linalg.vector_norm(param.grad.detach().float()))
            if not per_layer:
                return
            flat = [n for layer in sorted(per_layer) for n in per_layer[layer]]
            values = iter(torch.stack([n.to(flat[0].device) for n in flat]).cpu().tolist())
        norms = {layer: [next(values) for _ in per_layer[layer]] for layer in sorted(per_layer)}
        layer_norms = [float(np.mean(norms[i])) if i in norms else 0.0 for i in range(self.num_layers)]
        self.steps.append(step)
        self.gradient_norms.append(np.array(layer_norms))

    def get_3d_surface(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Get X, Y, Z arrays for 3D surface plot."""
        if not self.gradient_norms:
            return None, None, None
        steps_array = np.array(list(self.steps))
        layers_array = np.arange(self.num_layers)
        X, Y = np.meshgrid(steps_array, layers_array)
        Z = np.array(list(self.gradient_norms)).T
        return X, Y, Z


# MARK: - Running the binary

def _number(v: Any) -> Optional[float]:
    f = float(v)
    return f if math.isfinite(f) else float("nan")


def _write_jsonl(path: Path, columns: Dict[str, Any], steps: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i, step in enumerate(steps):
            row: Dict[str, Any] = {"step": int(step)}
            for key, values in columns.items():
                if values is not None and i < len(values):
                    row[key] = _number(values[i])
            f.write(json.dumps(row, allow_nan=True) + "\n")


def _export(kind: str, source: Path, workdir: Path, **flags: Any) -> Dict[str, Any]:
    out = _cli.export(kind, source, output=workdir / f"{kind}.plotly.json", force=True,
                      _stderr="warnings", **flags)
    with open(out, encoding="utf-8") as f:
        return json.load(f)


def _figure(spec: Dict[str, Any], title: str, axes: Tuple[str, str, str],
            eye: Optional[Tuple[float, float, float]], width: Optional[int], height: Optional[int]):
    """The binary's figure with the original module's titles, camera and size."""
    import plotly.graph_objects as go  # noqa: PLC0415

    fig = go.Figure(spec)
    scene: Dict[str, Any] = {
        "xaxis_title": axes[0], "yaxis_title": axes[1], "zaxis_title": axes[2],
    }
    if eye is not None:
        scene["camera"] = {"eye": {"x": eye[0], "y": eye[1], "z": eye[2]}}
    fig.update_layout(title=title, scene=scene)
    if width is not None:
        fig.update_layout(width=width, height=height)
    return fig


def create_3d_loss_landscape(metrics: Dict[str, np.ndarray], window_size: int = 50):
    """3D loss landscape: sliding windows of (step, learning rate, loss), as the original."""
    steps = metrics['steps']
    with tempfile.TemporaryDirectory(prefix="trainscape-") as tmp:
        src = Path(tmp) / "metrics.jsonl"
        _write_jsonl(src, {"loss": metrics['losses'], "lr": metrics['learning_rates']}, steps)
        spec = _export("loss-landscape", src, Path(tmp), window=window_size, loss_key="loss",
                       lr_key="lr", log_lr="off", log_z="off", colormap="viridis",
                       max_steps=max(2, len(steps)))
    fig = _figure(spec, '3D Training Loss Landscape', ('Training Step', 'Learning Rate', 'Loss'),
                  (1.5, 1.5, 1.3), 1000, 800)
    fig.update_traces(colorbar=dict(title='Loss'), name='Loss Surface', selector=dict(type='surface'))
    return fig


def create_3d_gradient_flow(X: np.ndarray, Y: np.ndarray, Z: np.ndarray):
    """3D gradient flow (layers x steps) from the meshgrids of GradientFlowBuffer.get_3d_surface."""
    import plotly.graph_objects as go  # noqa: PLC0415

    if X is None or Y is None or Z is None:
        return go.Figure()
    Z = np.asarray(Z, dtype=float)
    steps = np.asarray(X)[0]
    layers = np.asarray(Y)[:, 0]
    columns = {f"grad_norm/layer_{int(layer)}": Z[i] for i, layer in enumerate(layers)}
    with tempfile.TemporaryDirectory(prefix="trainscape-") as tmp:
        src = Path(tmp) / "gradients.jsonl"
        _write_jsonl(src, columns, steps)
        spec = _export("gradient-flow", src, Path(tmp), log_z="off", family="grad_norm",
                       colormap="plasma", max_steps=max(2, len(steps)))
    fig = _figure(spec, '3D Gradient Flow Across Layers', ('Training Step', 'Layer Index', 'Gradient Norm'),
                  (1.5, -1.5, 1.2), 1000, 800)
    fig.update_traces(colorbar=dict(title='Gradient Norm'), name='Gradient Flow', selector=dict(type='surface'))
    return fig


def create_3d_rl_reward_landscape(metrics: Dict[str, np.ndarray], window_size: int = 50):
    """3D reward landscape: the (step, loss, reward) trajectory over the reward interpolated
    (linearly) on a 30 x 30 grid of step x loss."""
    import plotly.graph_objects as go  # noqa: PLC0415

    if metrics.get('rewards') is None or len(metrics['rewards']) == 0:
        return go.Figure()
    steps = metrics['steps']
    with tempfile.TemporaryDirectory(prefix="trainscape-") as tmp:
        src = Path(tmp) / "rewards.jsonl"
        _write_jsonl(src, {"loss": metrics['losses'], "reward": metrics['rewards']}, steps)
        spec = _export("reward-landscape", src, Path(tmp), loss_key="loss", reward_key="reward",
                       grid=30, interp="linear", max_steps=max(2, len(steps)))
    fig = _figure(spec, '3D RL Reward Landscape (Training Trajectory)', ('Training Step', 'Loss', 'Reward'),
                  (1.8, 1.8, 1.5), 1200, 900)
    fig.update_traces(name='Reward Landscape', selector=dict(type='surface'))
    fig.update_traces(name='Training Trajectory', selector=dict(type='scatter3d'))
    return fig


def create_3d_attention_visualization(attention_weights: Any, layer_idx: int, head_idx: int):
    """3D point cloud (query, key, weight) of the weights above 0.01, coloured as the original
    (red = 255 w, green = 255 (1 - w), blue = 128); a ``wandb.Object3D``, or None when no weight
    is above 0.01."""
    import wandb  # noqa: PLC0415

    if hasattr(attention_weights, "detach"):
        attention_weights = attention_weights.detach().cpu().numpy()
    a = np.asarray(attention_weights)
    attn = a[0, head_idx] if a.ndim == 4 else a
    with tempfile.TemporaryDirectory(prefix="trainscape-") as tmp:
        src = Path(tmp) / "attention.npy"
        np.save(src, np.ascontiguousarray(attn))
        try:
            spec = _export("attention", src, Path(tmp), threshold=0.01, max_points=attn.size + 1)
        except _cli.TrainscapeError as e:
            if "above the threshold" in e.message:
                return None  # as the original: no point above 0.01
            raise
    traces = [t for t in spec.get("data", []) if t.get("type") == "scatter3d"]
    if not traces or not traces[0].get("x"):
        return None
    t = traces[0]
    pts = np.column_stack([np.asarray(t["x"], float), np.asarray(t["y"], float), np.asarray(t["z"], float)])
    w = pts[:, 2]
    colors = np.column_stack([(255 * w).astype(int), (255 * (1 - w)).astype(int), np.full(len(w), 128)])
    return wandb.Object3D(np.concatenate([pts, colors], axis=1))


def create_3d_embedding_trajectory(embeddings: List[Any], labels: List[str], method: str = 'pca'):
    """3D trajectory of embeddings across training, reduced by PCA or t-SNE."""
    import torch  # noqa: PLC0415

    emb = torch.stack(list(embeddings)).cpu().numpy() if hasattr(embeddings[0], "detach") else np.stack(embeddings)
    if emb.ndim > 2:
        emb = emb.reshape(emb.shape[0], -1)
    if method not in ('pca', 'tsne', 'umap'):
        raise ValueError(f"Unknown method: {method}")
    with tempfile.TemporaryDirectory(prefix="trainscape-") as tmp:
        src = Path(tmp) / "embeddings.npy"
        np.save(src, np.ascontiguousarray(emb, dtype=np.float64))
        flags: Dict[str, Any] = {"method": method}
        if method in ('tsne', 'umap'):
            flags["seed"] = 42  # the original's random_state=42
        spec = _export("embedding", src, Path(tmp), **flags)
    name = method.upper()
    fig = _figure(spec, f'3D Embedding Space Trajectory ({name})',
                  (f'{name} Component 1', f'{name} Component 2', f'{name} Component 3'),
                  (1.5, 1.5, 1.5), 1000, 800)
    # Trainscape marks the path's start and end; the original draws the path alone.
    fig.data = fig.data[:1]
    progress = np.arange(emb.shape[0])
    fig.update_traces(text=list(labels), name='Embedding Trajectory',
                      marker=dict(color=progress, colorscale='Rainbow', cmin=None, cmax=None,
                                  colorbar=dict(title='Training Progress')),
                      line=dict(color=progress, colorscale='Rainbow', cmin=None, cmax=None),
                      selector=dict(type='scatter3d'))
    return fig


def create_3d_loss_gradient_reward_space(metrics: Dict[str, np.ndarray]):
    """Unified 3D view: (step, loss, gradient norm) coloured by loss, or with rewards
    (loss, gradient norm, reward) coloured by step; steps are counted 0, 1, 2, ... as in the
    original."""
    losses = metrics['losses']
    grad_norms = metrics['grad_norms']
    rewards = metrics.get('rewards')
    with tempfile.TemporaryDirectory(prefix="trainscape-") as tmp:
        src = Path(tmp) / "dynamics.jsonl"
        if rewards is None or len(rewards) == 0:
            _write_jsonl(src, {"loss": losses, "grad_norm": grad_norms}, range(len(losses)))
            spec = _export("trajectory", src, Path(tmp), loss_key="loss", grad_key="grad_norm",
                           log_loss="off", log_grad="off", colormap="viridis",
                           max_steps=max(2, len(losses)))
            fig = _figure(spec, '3D Training Dynamics (Loss vs Gradient)',
                          ('Training Step', 'Loss', 'Gradient Norm'), None, 1000, 800)
            fig.update_traces(name='Training Path', mode='markers+lines',
                              marker=dict(size=4, colorbar=dict(title='Loss')),
                              line=dict(color='cyan', width=2), selector=dict(type='scatter3d'))
        else:
            n = min(len(losses), len(grad_norms), len(rewards))
            _write_jsonl(src, {"loss": losses[:n], "grad_norm": grad_norms[:n], "reward": rewards[:n]}, range(n))
            spec = _export("trajectory", src, Path(tmp), loss_key="loss", grad_key="grad_norm",
                           reward_key="reward", log_loss="off", log_grad="off", colormap="turbo",
                           max_steps=max(2, n))
            fig = _figure(spec, '3D Training Dynamics (Loss-Gradient-Reward Space)',
                          ('Loss', 'Gradient Norm', 'Reward'), (1.5, 1.5, 1.5), 1000, 800)
            fig.update_traces(name='Training Trajectory', mode='markers+lines',
                              marker=dict(colorbar=dict(title='Step')),
                              selector=dict(type='scatter3d'))
    return fig


def log_3d_plotly_to_wandb(fig: Any, name: str, step: Optional[int] = None):
    """Log Plotly 3D figure to W&B."""
    import wandb  # noqa: PLC0415

    if step is not None:
        wandb.log({name: fig, "step": step})
    else:
        wandb.log({name: fig})


def create_checkpoint_3d_summary(metrics_buffer: TrainingMetricsBuffer,
                                 gradient_buffer: Optional[GradientFlowBuffer] = None,
                                 checkpoint_step: int = 0) -> Dict[str, Any]:
    """All the 3D figures at a checkpoint, keyed as the original: ``3d/loss_landscape``,
    ``3d/reward_landscape``, ``3d/training_dynamics``, ``3d/gradient_flow`` and ``step``."""
    metrics = metrics_buffer.get_arrays()
    viz_dict: Dict[str, Any] = {}
    if len(metrics['steps']) >= 50:
        viz_dict['3d/loss_landscape'] = create_3d_loss_landscape(metrics)
    if metrics['rewards'] is not None and len(metrics['rewards']) >= 20:
        viz_dict['3d/reward_landscape'] = create_3d_rl_reward_landscape(metrics)
    viz_dict['3d/training_dynamics'] = create_3d_loss_gradient_reward_space(metrics)
    if gradient_buffer is not None:
        X, Y, Z = gradient_buffer.get_3d_surface()
        if X is not None:
            viz_dict['3d/gradient_flow'] = create_3d_gradient_flow(X, Y, Z)
    viz_dict['step'] = checkpoint_step
    return viz_dict
