#!/usr/bin/env python3
"""Writes training runs with the real writers and the names real training loops log, for the
naming tests (Tests/TrainscapeIOTests/NamingWriterTests.swift):

  gpt DIR        a small GPT-style torch model (transformer.h.N.attn.c_attn.weight/bias, ...):
                 per-parameter grad norms `grad_norm/{name}` over model.named_parameters(),
                 train/loss, train/lr, grad_norm/total, written as JSONL
  hf DIR         a tiny LlamaForCausalLM (transformers) trained by the real HF Trainer for a few
                 steps; a Trainer subclass adds `grad_norm/{name}` to each log, so
                 trainer_state.json holds loss, learning_rate, grad_norm and
                 grad_norm/model.layers.N.self_attn.q_proj.weight, ...
  lightning DIR  a small Lightning module whose on_before_optimizer_step logs Lightning's
                 grad_norm(self, norm_type=2) (grad_2.0_norm/layers.N.weight,
                 grad_2.0_norm_total), with LearningRateMonitor (lr-AdamW) and CSVLogger
                 (metrics.csv)
  npt DIR        a TensorBoard run (tensorboardX) with the NPT guide's hierarchical names
                 (loss/total, training/learning_rate, training/grad_norm, rewards/mean,
                 per-parameter gradients/layers.N.*) and histograms of the gradients
  tb-hist DIR    gradient histograms of a small torch model written by tensorboardX and by
                 torch.utils.tensorboard.SummaryWriter (histo proto), and by tensorboard's own
                 summary_v2.histogram_pb (tensor form)
  wandb-hist DIR a W&B offline run with wandb.watch(model, log="gradients") on a small torch
                 model, and wandb.Histogram logged directly
  sweep DIR      three W&B offline runs whose config is {"optimizer": {"lr": LR}} and whose lr
                 metric warms up from 0
  media DIR      a wandb/ directory of two offline runs: one logs train/loss and a user metric
                 named `step` (beside W&B's own _step), the other only media (wandb.Plotly of a
                 surface, wandb.Object3D of a point cloud), as nanochat's wandb_3d_viz.py does

Each prints the path of what it wrote (one line). Independent references are computed by the
tests from these files with numpy, never here.
"""
import json, math, os, sys

import numpy as np


def seed(n=0):
    import torch
    torch.manual_seed(n)
    np.random.seed(n)


def gpt_model(n_layer=4, d=16, vocab=32, ctx=8):
    import torch.nn as nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(d)
            self.attn = nn.Module()
            self.attn.c_attn = nn.Linear(d, 3 * d)
            self.attn.c_proj = nn.Linear(d, d)
            self.ln_2 = nn.LayerNorm(d)
            self.mlp = nn.Module()
            self.mlp.c_fc = nn.Linear(d, 4 * d)
            self.mlp.c_proj = nn.Linear(4 * d, d)

        def forward(self, x):
            import torch
            h = self.ln_1(x)
            q, k, v = self.attn.c_attn(h).chunk(3, dim=-1)
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1) @ v
            x = x + self.attn.c_proj(a)
            return x + self.mlp.c_proj(torch.relu(self.mlp.c_fc(self.ln_2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.Module()
            self.transformer.wte = nn.Embedding(vocab, d)
            self.transformer.wpe = nn.Embedding(ctx, d)
            self.transformer.h = nn.ModuleList([Block() for _ in range(n_layer)])
            self.transformer.ln_f = nn.LayerNorm(d)
            self.lm_head = nn.Linear(d, vocab, bias=False)

        def forward(self, idx):
            import torch
            pos = torch.arange(idx.shape[1])
            x = self.transformer.wte(idx) + self.transformer.wpe(pos)
            for b in self.transformer.h:
                x = b(x)
            return self.lm_head(self.transformer.ln_f(x))

    return GPT()


def gpt(out):
    import torch
    seed(1)
    m = gpt_model()
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
    path = os.path.join(out, "gpt_named_parameters.jsonl")
    with open(path, "w") as f:
        for step in range(12):
            lr = 1e-3 * min(1.0, (step + 1) / 4)
            for g in opt.param_groups:
                g["lr"] = lr
            idx = torch.randint(0, 32, (4, 8))
            logits = m(idx)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 32), idx.roll(-1, 1).reshape(-1))
            opt.zero_grad()
            loss.backward()
            row = {"step": step, "train/loss": loss.item(), "train/lr": lr}
            norms = {}
            for name, p in m.named_parameters():
                if p.grad is not None:
                    norms["grad_norm/" + name] = p.grad.norm().item()
            row.update(norms)
            row["grad_norm/total"] = math.sqrt(sum(v * v for v in norms.values()))
            f.write(json.dumps(row) + "\n")
            opt.step()
    print(path)


def hf(out):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Trainer, TrainingArguments

    seed(2)
    cfg = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=3,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=16)
    model = LlamaForCausalLM(cfg)

    class Data(torch.utils.data.Dataset):
        def __len__(self):
            return 64

        def __getitem__(self, i):
            g = torch.Generator().manual_seed(i)
            ids = torch.randint(0, 64, (8,), generator=g)
            return {"input_ids": ids, "labels": ids.clone()}

    class NormTrainer(Trainer):
        pending = {}

        def training_step(self, model, inputs, num_items_in_batch=None):
            loss = super().training_step(model, inputs, num_items_in_batch)
            self.pending = {"grad_norm/" + n: p.grad.norm().item()
                            for n, p in model.named_parameters() if p.grad is not None}
            return loss

        def log(self, logs, *args, **kwargs):
            if "loss" in logs:
                logs = {**logs, **self.pending}
            super().log(logs, *args, **kwargs)

    args = TrainingArguments(output_dir=out, max_steps=6, logging_steps=1, per_device_train_batch_size=4,
                             learning_rate=5e-3, warmup_steps=2, report_to=[], save_strategy="no",
                             disable_tqdm=True, use_cpu=True, seed=2)
    t = NormTrainer(model=model, args=args, train_dataset=Data())
    t.train()
    t.state.save_to_json(os.path.join(out, "trainer_state.json"))
    print(os.path.join(out, "trainer_state.json"))


def lightning(out):
    import torch
    import lightning as L
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger
    from lightning.pytorch.utilities import grad_norm

    seed(3)

    class Net(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Linear(6, 8)
            self.layers = torch.nn.ModuleList([torch.nn.Linear(8, 8) for _ in range(3)])
            self.head = torch.nn.Linear(8, 1)

        def forward(self, x):
            x = torch.tanh(self.embed(x))
            for l in self.layers:
                x = torch.tanh(l(x))
            return self.head(x)

        def training_step(self, batch, i):
            x, y = batch
            loss = torch.nn.functional.mse_loss(self(x), y)
            self.log("train_loss", loss, on_step=True, on_epoch=False)
            return loss

        def on_before_optimizer_step(self, optimizer):
            self.log_dict(grad_norm(self, norm_type=2))

        def configure_optimizers(self):
            opt = torch.optim.AdamW(self.parameters(), lr=1e-2)
            sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 3))
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    g = torch.Generator().manual_seed(3)
    x = torch.randn(64, 6, generator=g)
    y = x.sum(1, keepdim=True)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    logger = CSVLogger(out, name="lightning_logs")
    tr = L.Trainer(max_steps=8, logger=logger, callbacks=[LearningRateMonitor(logging_interval="step")],
                   log_every_n_steps=1, enable_checkpointing=False, enable_progress_bar=False,
                   enable_model_summary=False, accelerator="cpu", devices=1)
    tr.fit(Net(), data)
    print(os.path.join(logger.log_dir, "metrics.csv"))


def hist_model():
    import torch
    seed(4)
    m = torch.nn.Sequential()
    m.add_module("layers", torch.nn.ModuleList([torch.nn.Linear(8, 8) for _ in range(3)]))
    return m


def grads(m, step):
    import torch
    g = torch.Generator().manual_seed(100 + step)
    x = torch.randn(16, 8, generator=g)
    for l in m.layers:
        x = torch.tanh(l(x))
    m.zero_grad()
    (x ** 2).sum().mul(1.0 + step).backward()
    return {n: p.grad.detach().clone() for n, p in m.named_parameters()}


def npt(out):
    import torch
    from tensorboardX import SummaryWriter

    m = hist_model()
    os.makedirs(out, exist_ok=True)
    w = SummaryWriter(out)
    for step in range(10):
        gs = grads(m, step)
        lr = 3e-4 * min(1.0, (step + 1) / 3)
        total = math.sqrt(sum(float(g.norm()) ** 2 for g in gs.values()))
        w.add_scalar("loss/total", 2.0 / (1 + step) + 0.1, step)
        w.add_scalar("loss/lm", 1.8 / (1 + step), step)
        w.add_scalar("training/learning_rate", lr, step)
        w.add_scalar("training/grad_norm", total, step)
        w.add_scalar("rewards/mean", 0.1 * step + 0.05 * math.sin(step), step)
        w.add_scalar("eval/loss", 2.2 / (1 + step), step)
        for n, g in gs.items():
            w.add_scalar("gradients/" + n, float(g.norm()), step)
            w.add_histogram("gradients/" + n, g.numpy(), step)
    w.close()
    print(out)


def tb_hist(out):
    from tensorboardX import SummaryWriter as XWriter
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    from tensorboardX.proto.summary_pb2 import Summary as XSummary
    from tensorboard.plugins.histogram import summary_v2

    m = hist_model()
    for name, W in [("tensorboardx", XWriter), ("torch", TorchWriter)]:
        d = os.path.join(out, name)
        w = W(d)
        for step in range(6):
            for n, g in grads(m, step).items():
                w.add_histogram("grad/" + n, g.numpy(), step)
        w.close()
    # Tensor form (tensorboard's summary_v2.histogram_pb: a [k, 3] tensor of left, right, count).
    d = os.path.join(out, "tensor")
    w = XWriter(d)
    for step in range(6):
        for n, g in grads(m, step).items():
            pb = summary_v2.histogram_pb("grad/" + n, g.numpy().ravel(), buckets=20)
            w._get_file_writer().add_summary(XSummary.FromString(pb.SerializeToString()), step)
    w.close()
    print(out)


def wandb_hist(out):
    import torch
    import wandb

    m = hist_model()
    run = wandb.init(project="trainscape-test", dir=out, mode="offline", config={"lr": 1e-3})
    wandb.watch(m, log="gradients", log_freq=1)
    for step in range(6):
        g = torch.Generator().manual_seed(100 + step)
        x = torch.randn(16, 8, generator=g)
        y = x
        for l in m.layers:
            y = torch.tanh(l(y))
        m.zero_grad()
        loss = (y ** 2).sum().mul(1.0 + step)
        loss.backward()
        arr = np.random.default_rng(step).normal(step, 1.0, 500)
        true_norms = {"true_norm/" + n: p.grad.norm().item() for n, p in m.named_parameters()}
        wandb.log({"loss": loss.item(), "weights_direct": wandb.Histogram(arr), "step": step * 10, **true_norms},
                  step=step)
    run.finish()
    print(run.dir.rsplit("/files", 1)[0])


def sweep(out):
    import wandb

    for lr in [1e-4, 1e-3, 1e-2]:
        run = wandb.init(project="trainscape-sweep", dir=out, mode="offline", config={"optimizer": {"lr": lr}},
                         name=f"run-{lr:g}", reinit="finish_previous")
        for step in range(0, 60, 2):
            cur = lr * min(1.0, step / 20)  # warmup from 0
            loss = 3.0 * math.exp(-step * lr * 30) + 0.1
            wandb.log({"train/loss": loss, "train/lr": cur}, step=step)
        run.finish()
    print(os.path.join(out, "wandb"))


def media(out):
    import plotly.graph_objects as go
    import wandb

    run = wandb.init(project="trainscape-media", dir=out, mode="offline", name="metrics", reinit="finish_previous")
    for i in range(8):
        # No step= argument: W&B counts _step 0, 1, ...; the user's own step is a metric.
        wandb.log({"train/loss": 2.0 / (1 + i), "step": 100 * (i + 1)})
    run.finish()
    run = wandb.init(project="trainscape-media", dir=out, mode="offline", name="media-only", reinit="finish_previous")
    z = np.outer(np.linspace(0, 1, 6), np.linspace(1, 2, 5))
    for i in range(2):
        fig = go.Figure(go.Surface(z=(z * (i + 1)).tolist()))
        pts = np.random.default_rng(i).normal(size=(50, 3))
        wandb.log({"viz/loss_surface": wandb.Plotly(fig), "viz/points": wandb.Object3D(pts)})
    run.finish()
    print(os.path.join(out, "wandb"))


if __name__ == "__main__":
    # KIND DIR, or KIND,KIND,... DIR (each into DIR/KIND: one process, one torch import).
    kinds, out = sys.argv[1].split(","), sys.argv[2]
    table = {"gpt": gpt, "hf": hf, "lightning": lightning, "npt": npt, "tb-hist": tb_hist,
             "wandb-hist": wandb_hist, "sweep": sweep, "media": media}
    for k in kinds:
        d = out if len(kinds) == 1 else os.path.join(out, k)
        os.makedirs(d, exist_ok=True)
        table[k](d)
