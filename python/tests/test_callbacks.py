"""The HF Trainer and Lightning callbacks in real training runs of a tiny model: the metrics
rows, the 3D media at the right steps (W&B offline, or files without W&B), and training
results exactly as without the callback."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import trainscape

from conftest import read_jsonl

STEPS, EVERY = 30, 10


def kinds_for(tmp_path):
    return ("gradient-flow", "loss-landscape", "trajectory")


class TinyModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.ModuleList(torch.nn.Linear(8, 8) for _ in range(3))
        self.head = torch.nn.Linear(8, 1)

    def forward(self, x, labels=None):
        for layer in self.layers:
            x = torch.tanh(layer(x))
        out = self.head(x).squeeze(-1)
        loss = torch.nn.functional.mse_loss(out, labels) if labels is not None else None
        return {"loss": loss, "logits": out}


def dataset(n=256):
    g = torch.Generator().manual_seed(123)
    x = torch.randn(n, 8, generator=g)
    y = x[:, 0] * 0.5 - x[:, 1] + 0.1 * torch.randn(n, generator=g)
    return [{"x": x[i], "labels": y[i]} for i in range(n)]


def media_step(path: Path) -> int:
    return int(path.name.split(".")[0].rsplit("_", 2)[1])


def media_key(media: Path, path: Path) -> str:
    """The logged key of a W&B media file: media/<type>/<key folders>/<last part>_<step>_<hash>.<ext>."""
    parts = path.relative_to(media).parts
    return "/".join([*parts[1:-1], parts[-1].split(".")[0].rsplit("_", 2)[0]])


def history(run_dir: Path, cli):
    out = run_dir / "history.jsonl"
    cli("convert", next(run_dir.glob("*.wandb")), "-o", out)
    return {r["step"]: r for r in read_jsonl(out)}


# MARK: - Hugging Face Trainer

def hf_train(out: Path, callbacks, report_to="none"):
    from transformers import Trainer, TrainingArguments, set_seed

    set_seed(0)
    model = TinyModel()
    args = TrainingArguments(output_dir=str(out), max_steps=STEPS, per_device_train_batch_size=16,
                             learning_rate=0.05, logging_steps=1, save_strategy="no", report_to=report_to,
                             use_cpu=True, disable_tqdm=True, seed=0, dataloader_num_workers=0,
                             remove_unused_columns=False, max_grad_norm=1.0)
    trainer = Trainer(model=model, args=args, train_dataset=dataset(), callbacks=callbacks)
    trainer.train()
    return model, [h for h in trainer.state.log_history if "loss" in h]


def test_hf_trainer_without_wandb_writes_files_and_changes_nothing(tmp_path, monkeypatch):
    from trainscape.hf import TrainscapeCallback

    monkeypatch.setenv("WANDB_DISABLED", "true")
    kinds = kinds_for(tmp_path)
    plain_model, plain_log = hf_train(tmp_path / "plain", None)
    model, log = hf_train(tmp_path / "with", [TrainscapeCallback(every_n_steps=EVERY, kinds=kinds, size=(480, 270), skip_when_behind=False)])
    # Training results unchanged: the same losses and the same weights, bit for bit.
    assert [h["loss"] for h in log] == [h["loss"] for h in plain_log]
    for (n, p), (_, q) in zip(model.named_parameters(), plain_model.named_parameters()):
        assert torch.equal(p, q), n

    root = tmp_path / "with" / "trainscape"
    rows = read_jsonl(root / "metrics.jsonl")
    assert [r["step"] for r in rows] == list(range(1, STEPS + 1))
    for r, h in zip(rows, log):
        assert r["loss"] == h["loss"] and r["learning_rate"] == h["learning_rate"]
    names = [n for n, _ in TinyModel().named_parameters()]
    assert all(f"grad_norm/{n}" in rows[0] for n in names)
    # The per-parameter norms are those of the gradients the optimizer stepped with, after the
    # Trainer clipped them to max_grad_norm=1: their l2 total is the Trainer's grad_norm (taken
    # before clipping) or 1, whichever is smaller.
    clipped = 0
    for r in rows:
        total = np.sqrt(sum(r[f"grad_norm/{n}"] ** 2 for n in names))
        assert total == pytest.approx(min(r["grad_norm"], 1.0), rel=1e-4)
        clipped += r["grad_norm"] > 1.0
    assert 0 < clipped < len(rows)

    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert folders == ["final"] + [f"step_{s:06d}" for s in range(EVERY, STEPS + 1, EVERY)]
    for folder in folders:
        for kind in kinds:
            stem = kind.replace("-", "_")
            png = root / folder / f"{stem}.png"
            assert png.stat().st_size > 5_000, png
            fig = json.loads((root / folder / f"{stem}.plotly.json").read_text())
            assert fig["data"], (folder, kind)
    # Each periodic landscape covers the steps written so far; the final one, all of them.
    steps_in = lambda folder: max(json.loads((root / folder / "trajectory.plotly.json").read_text())["data"][0]["x"])  # noqa: E731
    assert steps_in("step_000010") == 10 and steps_in("final") == STEPS


def test_hf_trainer_logs_3d_media_to_wandb_at_the_right_steps(tmp_path, monkeypatch, cli):
    import wandb
    from trainscape.hf import TrainscapeCallback

    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setenv("WANDB_PROJECT", "trainscape-tests")
    kinds = ("loss-landscape", "trajectory")
    _, plain_log = hf_train(tmp_path / "plain", None)
    _, log = hf_train(tmp_path / "with", [TrainscapeCallback(every_n_steps=EVERY, kinds=kinds, size=(480, 270), skip_when_behind=False)],
                      report_to="wandb")
    assert [h["loss"] for h in log] == [h["loss"] for h in plain_log]
    run_dir = Path(wandb.run.dir).parent
    wandb.finish()
    media = run_dir / "files" / "media"
    rows = history(run_dir, cli)
    logged = {}
    for f in media.rglob("*.*"):
        logged.setdefault(media_key(media, f), []).append(rows.get(media_step(f), {}).get("train/global_step"))
    for kind in kinds:
        stem = kind.replace("-", "_")
        for medium in ("plotly", "image"):
            assert sorted(logged[f"3d/{stem}/{medium}"]) == [10, 20, 30], logged
            assert len(logged[f"final/{stem}/{medium}"]) == 1, logged


# MARK: - Lightning

def lightning_train(out: Path, callbacks, logger=False):
    import lightning

    lightning.seed_everything(0, workers=True)

    class Module(lightning.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = TinyModel()

        def training_step(self, batch, batch_idx):
            loss = self.net(batch["x"], batch["labels"])["loss"]
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=0.05)
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    module = Module()
    loader = torch.utils.data.DataLoader(dataset(), batch_size=16, shuffle=True,
                                         generator=torch.Generator().manual_seed(0))
    trainer = lightning.Trainer(max_steps=STEPS, accelerator="cpu", devices=1, logger=logger,
                                callbacks=callbacks or [], default_root_dir=str(out), log_every_n_steps=1,
                                enable_checkpointing=False, enable_progress_bar=False,
                                enable_model_summary=False, deterministic=True)
    trainer.fit(module, loader)
    return module


def test_lightning_without_wandb_writes_files_and_changes_nothing(tmp_path):
    from trainscape.lightning import TrainscapeCallback

    kinds = kinds_for(tmp_path)
    plain = lightning_train(tmp_path / "plain", None)
    module = lightning_train(tmp_path / "with", [TrainscapeCallback(every_n_steps=EVERY, kinds=kinds, size=(480, 270), skip_when_behind=False)])
    for (n, p), (_, q) in zip(module.named_parameters(), plain.named_parameters()):
        assert torch.equal(p, q), n
    root = tmp_path / "with" / "trainscape"
    rows = read_jsonl(root / "metrics.jsonl")
    assert [r["step"] for r in rows] == list(range(1, STEPS + 1))
    lrs = [r["lr"] for r in rows]
    assert lrs[0] == 0.05 and set(lrs) <= {0.05, 0.025, 0.0125, 0.00625} and min(lrs) < 0.0125
    assert all("loss" in r and "train_loss" in r and "grad_norm/net.layers.2.weight" in r for r in rows)
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert folders == ["final"] + [f"step_{s:06d}" for s in range(EVERY, STEPS + 1, EVERY)]
    for folder in folders:
        for kind in kinds:
            assert (root / folder / f"{kind.replace('-', '_')}.png").stat().st_size > 5_000


def test_lightning_logs_3d_media_to_wandb_at_the_right_steps(tmp_path, monkeypatch, cli):
    import wandb
    from lightning.pytorch.loggers import WandbLogger
    from trainscape.lightning import TrainscapeCallback

    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    kinds = ("loss-landscape", "trajectory")
    plain = lightning_train(tmp_path / "plain", None)
    logger = WandbLogger(project="trainscape-tests", save_dir=str(tmp_path), offline=True)
    module = lightning_train(tmp_path / "with", [TrainscapeCallback(every_n_steps=EVERY, kinds=kinds, size=(480, 270), skip_when_behind=False)],
                             logger=logger)
    for (n, p), (_, q) in zip(module.named_parameters(), plain.named_parameters()):
        assert torch.equal(p, q), n
    run_dir = Path(logger.experiment.dir).parent
    wandb.finish()
    media = run_dir / "files" / "media"
    rows = history(run_dir, cli)
    logged = {}
    for f in media.rglob("*.*"):
        logged.setdefault(media_key(media, f), []).append(rows.get(media_step(f), {}).get("trainer/global_step"))
    for kind in kinds:
        stem = kind.replace("-", "_")
        for medium in ("plotly", "image"):
            assert sorted(logged[f"3d/{stem}/{medium}"]) == [10, 20, 30], logged
            assert len(logged[f"final/{stem}/{medium}"]) == 1, logged
