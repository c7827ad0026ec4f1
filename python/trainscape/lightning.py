"""Lightning callback: per-layer gradient norms and the logged scalars into a metrics file,
and 3D landscapes every N steps, into W&B when the Trainer has a ``WandbLogger`` (or a W&B run
is active), otherwise as PNGs and Plotly exports in ``<default_root_dir>/trainscape/``.

    from trainscape.lightning import TrainscapeCallback
    trainer = lightning.Trainer(callbacks=[TrainscapeCallback(every_n_steps=100)], ...)

Works with ``lightning`` (``lightning.pytorch``) and, when only that is installed, with
``pytorch_lightning``.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

try:
    from lightning.pytorch import Callback
except ImportError:  # the older package name
    from pytorch_lightning import Callback  # type: ignore[no-redef]

from ._background import DEFAULT_KINDS
from ._callback import LandscapeRecorder, with_loss_key

__all__ = ["TrainscapeCallback"]


class TrainscapeCallback(Callback):
    """Logs 3D landscapes of the training run every ``every_n_steps`` optimizer steps.

    - Metrics: each optimizer step's gradient norms per parameter (``grad_norm/<name>``, read
      in ``on_before_optimizer_step``) and their total (``grad_norm``), the training step's loss
      (``loss``, from ``training_step``'s output), the training scalars the module logs with
      ``self.log`` (not ``val*``/``test*``/``*_epoch``, which would repeat stale values) and
      the first parameter group's learning rate (``lr``), one row per step (``trainer.global_step``
      after the step), written by global rank 0 to ``<dir>/trainscape/metrics.jsonl``
      (``output_dir`` defaults to ``trainer.default_root_dir``).
    - Every ``every_n_steps`` steps and at the end of training: ``kinds`` rendered in the
      background, logged to W&B under ``3d/`` with ``trainer/global_step`` as their x axis (the
      end: ``final/``), or written to ``<dir>/trainscape/step_NNNNNN/`` and ``final/``.
    - ``media``, ``turntable``, ``options`` and other keyword arguments (flags for every kind)
      are those of ``trainscape.wandb.log_landscapes``.

    It only reads: the module, its gradients, the optimizer and the random state are left alone.
    """

    def __init__(self, every_n_steps: int = 100, kinds: Any = DEFAULT_KINDS, *, grad_norms: bool = True,
                 media: Any = None, turntable: Any = False,
                 options: Optional[Mapping[str, Mapping[str, Any]]] = None,
                 output_dir: Optional[str] = None, skip_when_behind: bool = True, **flags: Any) -> None:
        super().__init__()
        # Each row holds the step's loss as `loss` beside the module's own logged names (often
        # `train_loss`): the kinds that draw a loss read `loss` unless told otherwise.
        options = with_loss_key(kinds, options)
        self.recorder = LandscapeRecorder(every_n_steps, kinds, grad_norms, turntable, media, options,
                                          "trainer/global_step", output_dir, flags, skip_when_behind)

    @staticmethod
    def _run(trainer: Any) -> Any:
        loggers = getattr(trainer, "loggers", None) or []
        for logger in loggers:
            if type(logger).__name__ == "WandbLogger":
                return logger.experiment
        try:
            import wandb  # noqa: PLC0415
        except ImportError:
            return None
        return wandb.run

    def on_train_start(self, trainer, pl_module):
        if trainer.is_global_zero:
            self.recorder.start(trainer.default_root_dir)

    def on_before_optimizer_step(self, trainer, pl_module, optimizer):
        if trainer.is_global_zero:
            self.recorder.gradients(trainer.global_step + 1, pl_module)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if not trainer.is_global_zero:
            return
        step = trainer.global_step
        # What the module logged for this step; validation and per-epoch values would repeat
        # stale numbers on every row.
        values = {k: v for k, v in trainer.callback_metrics.items()
                  if not k.startswith(("val", "test")) and not k.endswith("_epoch")}
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is not None:
            values["loss"] = loss
        optimizers = getattr(trainer, "optimizers", None) or []
        if optimizers and optimizers[0].param_groups:
            values["lr"] = optimizers[0].param_groups[0].get("lr")
        self.recorder.scalars(step, values)
        self.recorder.step_done(step, self._run(trainer))

    def on_train_end(self, trainer, pl_module):
        if trainer.is_global_zero:
            self.recorder.finish(self._run(trainer))
