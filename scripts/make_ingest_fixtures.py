#!/usr/bin/env python3
"""Writes the small ingest test files in Tests/TrainscapeIOTests/Fixtures/ingest.

Run with the venv: .venv/bin/python scripts/make_ingest_fixtures.py
Deterministic except the TensorBoard wall times and file names (renamed here).
Also used by the tests (`tb-scalar`, `tb-tensor`, `wandb` sub-commands) to
write files with the real writers into a temporary directory.
"""
import glob, json, math, os, shutil, sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "TrainscapeIOTests", "Fixtures", "ingest")


def lightning_csv(path):
    # Lightning CSVLogger: header = sorted union of names + epoch, step;
    # train rows every step, validation rows at epoch ends share the step.
    rows = []
    for step in range(0, 10):
        rows.append({"epoch": step // 5, "step": step, "train_loss_step": 2.0 - 0.1 * step})
        if step % 5 == 4:
            rows.append({"epoch": step // 5, "step": step, "val_loss": 1.5 - 0.2 * (step // 5),
                         "val_acc": 0.5 + 0.1 * (step // 5)})
            rows.append({"epoch": step // 5, "step": step, "train_loss_epoch": 1.8 - 0.3 * (step // 5)})
    names = sorted({k for r in rows for k in r})
    with open(path, "w", newline="") as f:
        f.write(",".join(names) + "\n")
        for r in rows:
            f.write(",".join("" if k not in r else repr(r[k]) for k in names) + "\n")


def wandb_panel_csv(path):
    # W&B panel export: all cells quoted, CRLF, BOM, two runs, __MIN/__MAX.
    runs = ["bright-sun-1", "calm-wave-2"]
    cols = ["Step"]
    for r in runs:
        cols += [f"{r} - train/loss", f"{r} - train/loss__MIN", f"{r} - train/loss__MAX"]
    lines = [",".join(f'"{c}"' for c in cols)]
    for step in range(0, 50, 10):
        cells = [str(step)]
        for i, r in enumerate(runs):
            if i == 1 and step == 20:
                cells += ["", "", ""]
                continue
            v = 3.0 / (1 + step) + i
            cells += [repr(v), repr(v - 0.125), repr(v + 0.125)]
        lines.append(",".join(f'"{c}"' for c in cells))
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")


def wide_csv(path):
    with open(path, "w", newline="") as f:
        f.write('iteration,loss,"lr, scheduled",note\n')
        f.write('0,2.5,0.001,"warm ""up""\nphase"\n')
        f.write("1,2.25,0.002,\n")
        f.write("2,nan,0.003,x\n")
        f.write("3,inf,0.004,\n")


def trainer_state(path):
    # transformers Trainer / TRL GRPO style (json.dumps(indent=2, sort_keys=True)).
    log = []
    for step in (10, 20, 30):
        log.append({"epoch": step / 30, "grad_norm": 1.0 / step, "learning_rate": 5e-05 * (1 - step / 40),
                    "loss": 2.0 - step / 100, "step": step, "reward": step / 30,
                    "rewards/accuracy/mean": step / 60, "kl": 0.001 * step})
        if step % 20 == 0:
            log.append({"epoch": step / 30, "eval_loss": 1.9 - step / 100, "eval_runtime": 1.5,
                        "eval_samples_per_second": 100.0, "step": step})
    log.append({"epoch": 1.0, "step": 30, "total_flos": 12345.0, "train_loss": 1.8,
                "train_runtime": 10.5, "train_samples_per_second": 3.0})
    log[0]["grad_norm"] = float("nan")
    state = {
        "best_global_step": 20, "best_metric": 1.7, "best_model_checkpoint": "out/checkpoint-20",
        "epoch": 1.0, "eval_steps": 20, "global_step": 30, "is_hyper_param_search": False,
        "is_local_process_zero": True, "is_world_process_zero": True, "log_history": log,
        "logging_steps": 10, "max_steps": 30, "num_input_tokens_seen": 0, "num_train_epochs": 1,
        "save_steps": 500, "stateful_callbacks": {"TrainerControl": {"args": {"should_save": True}}},
        "total_flos": 12345.0, "train_batch_size": 8, "trial_name": None, "trial_params": None,
    }
    with open(path, "w") as f:
        f.write(json.dumps(state, indent=2, sort_keys=True) + "\n")


def tb_scalar(out_dir, steps=50, tags=("loss", "lr", "grad_norm/layer_0")):
    """tensorboardX SummaryWriter.add_scalar (simple_value)."""
    from tensorboardX import SummaryWriter
    w = SummaryWriter(logdir=out_dir)
    for s in range(steps):
        for i, t in enumerate(tags):
            w.add_scalar(t, math.sin(s * 0.37 + i) * 10 ** (i - 1) + 0.1 * s, s)
    w.close()
    return sorted(glob.glob(os.path.join(out_dir, "events.out.tfevents.*")))[0]


def tb_tensor(out_dir, steps=40):
    """tensorboard.summary.Writer: tensor-form scalars (float_val, plugin "scalars")."""
    from tensorboard.summary import Writer
    w = Writer(out_dir)
    for s in range(steps):
        w.add_scalar("train/loss", 1.0 / (s + 1), step=s)
        w.add_scalar("train/acc", s / 40.0, step=s)
    w.close()
    return sorted(glob.glob(os.path.join(out_dir, "events.out.tfevents.*")))[0]


def wandb_offline(out_dir, steps=300):
    import wandb
    os.environ.setdefault("WANDB_SILENT", "true")
    run = wandb.init(mode="offline", dir=out_dir, project="trainscape-ingest",
                     config={"lr": 3e-4, "batch_size": 32, "optimizer": "adamw"})
    for s in range(steps):
        row = {"loss": 2.0 * math.exp(-s / 100) + 0.01 * math.sin(s), "lr": 3e-4 * (1 - s / steps),
               "nested": {"x": float(s)}}
        if s % 50 == 0:
            row["eval/loss"] = 1.0 + 1.0 / (s + 1)
        if s == 7:
            row["loss"] = float("nan")
        run.log(row, step=s)
    run.finish()
    return sorted(glob.glob(os.path.join(out_dir, "wandb", "*run-*", "run-*.wandb")))[0]


def read_wandb_records(path):
    """Yields the Record payloads of a .wandb file (formats.md 1.1)."""
    import zlib
    data = open(path, "rb").read()
    assert data[:7] == b":W&B\xe1\xbe\x00", "not a .wandb file"
    pos, parts = 7, b""
    while pos + 7 <= len(data):
        left = 32768 - pos % 32768
        if left < 7:
            pos += left
            continue
        crc = int.from_bytes(data[pos:pos + 4], "little")
        n = int.from_bytes(data[pos + 4:pos + 6], "little")
        t = data[pos + 6]
        if crc == 0 and n == 0 and t == 0:
            pos += left
            continue
        payload = data[pos + 7:pos + 7 + n]
        assert zlib.crc32(bytes([t]) + payload) == crc
        pos += 7 + n
        if t == 1:
            yield payload
        elif t == 2:
            parts = payload
        elif t == 3:
            parts += payload
        elif t == 4:
            yield parts + payload


def write_wandb_records(path, payloads):
    """Frames Record payloads into a .wandb file: 32 KiB blocks, CRC-32 of type+payload."""
    import zlib
    out = bytearray(b":W&B\xe1\xbe\x00")
    for rec in payloads:
        first, rest = True, rec
        while True:
            left = 32768 - len(out) % 32768
            if left < 7:
                out += b"\x00" * left
                continue
            take = min(len(rest), left - 7)
            chunk, rest = rest[:take], rest[take:]
            t = (1 if not rest else 2) if first else (4 if not rest else 3)
            out += zlib.crc32(bytes([t]) + chunk).to_bytes(4, "little") + len(chunk).to_bytes(2, "little") + bytes([t]) + chunk
            first = False
            if not rest:
                break
    open(path, "wb").write(bytes(out))


def sanitize_wandb(src, dst):
    """Keeps only header, run (id, project, config), history, summary and exit records,
    so no environment, stats, files or telemetry content (user, host, paths) is committed."""
    from wandb.proto import wandb_internal_pb2 as pb
    keep = []
    for payload in read_wandb_records(src):
        r = pb.Record.FromString(payload)
        kind = r.WhichOneof("record_type")
        if kind not in ("header", "run", "history", "summary", "config", "exit"):
            continue
        if kind == "run":
            run = pb.RunRecord(run_id=r.run.run_id, project=r.run.project, display_name=r.run.display_name)
            run.config.CopyFrom(r.run.config)
            r = pb.Record(num=r.num, run=run)
        r.ClearField("_info")
        keep.append(r.SerializeToString())
    write_wandb_records(dst, keep)


def main():
    if len(sys.argv) >= 3:
        kind, out_dir = sys.argv[1], sys.argv[2]
        os.makedirs(out_dir, exist_ok=True)
        path = {"tb-scalar": tb_scalar, "tb-tensor": tb_tensor, "wandb": wandb_offline}[kind](out_dir)
        print(path)
        return
    os.makedirs(OUT, exist_ok=True)
    lightning_csv(os.path.join(OUT, "lightning_metrics.csv"))
    wandb_panel_csv(os.path.join(OUT, "wandb_panel_export.csv"))
    wide_csv(os.path.join(OUT, "wide.csv"))
    trainer_state(os.path.join(OUT, "trainer_state.json"))
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(tb_scalar(os.path.join(tmp, "a"), steps=20), os.path.join(OUT, "events.out.tfevents.scalar"))
        shutil.copy(tb_tensor(os.path.join(tmp, "b"), steps=10), os.path.join(OUT, "events.out.tfevents.tensor"))
        sanitize_wandb(wandb_offline(os.path.join(tmp, "c"), steps=60), os.path.join(OUT, "run-fixture.wandb"))
    with open(os.path.join(OUT, "events.out.tfevents.lfs"), "w") as f:
        f.write("version https://git-lfs.github.com/spec/v1\n"
                "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")


if __name__ == "__main__":
    main()
