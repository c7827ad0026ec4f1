"""Hugging Face ``Trainer`` callback: per-layer gradient norms and the logged scalars into a
metrics file, and 3D landscapes every N steps, into W&B when a run is active, otherwise as
PNGs and Plotly exports in ``<output_dir>/trainscape/``.

    from trainscape.hf import TrainscapeCallback
    trainer = Trainer(model, args, ..., callbacks=[TrainscapeCallback(every_n_steps=100)])
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from transformers import TrainerCallback

from ._background import DEFAULT_KINDS
from ._callback import LandscapeRecorder, with_loss_key

__all__ = ["TrainscapeCallback"]


class TrainscapeCallback(TrainerCallback):
    """Logs 3D landscapes of the training run every ``every_n_steps`` optimizer steps.

    - Metrics: each optimizer step's gradient norms per parameter (``grad_norm/<name>``, read
      in ``on_pre_optimizer_step``: the gradients the optimizer steps with, after the Trainer's
      clipping to ``max_grad_norm``; ``grad_norms=False`` turns that off) and what the Trainer logs
      (loss, learning_rate, grad_norm, eval_*), one row per step, written by the main process to
      ``<output_dir>/trainscape/metrics.jsonl`` (``output_dir`` defaults to the Trainer's).
    - Every ``every_n_steps`` steps and at the end of training: ``kinds`` (default
      gradient-flow, loss-landscape, trajectory) rendered in the background. With an active W&B
      run (``report_to="wandb"``) they are logged under ``3d/`` with ``train/global_step`` as
      their x axis, and at the end under ``final/``; otherwise they are written to
      ``<output_dir>/trainscape/step_NNNNNN/`` and ``final/``.
    - ``media``, ``turntable``, ``options`` and other keyword arguments (flags for every kind)
      are those of ``trainscape.wandb.log_landscapes``.

    It only reads: the model, its gradients, the optimizer and the random state are left alone.
    """

    def __init__(self, every_n_steps: int = 100, kinds: Any = DEFAULT_KINDS, *, grad_norms: bool = True,
                 media: Any = None, turntable: Any = False,
                 options: Optional[Mapping[str, Mapping[str, Any]]] = None,
                 output_dir: Optional[str] = None, skip_when_behind: bool = True, **flags: Any) -> None:
        # The Trainer logs the step's loss as `loss` (and `train_loss` once, at the end): the
        # kinds that draw a loss read `loss` unless told otherwise.
        options = with_loss_key(kinds, options)
        self.recorder = LandscapeRecorder(every_n_steps, kinds, grad_norms, turntable, media, options,
                                          "train/global_step", output_dir, flags, skip_when_behind)
        self._pending: Optional[int] = None

    @staticmethod
    def _run() -> Any:
        try:
            import wandb  # noqa: PLC0415
        except ImportError:
            return None
        return wandb.run

    def _finish_pending(self) -> None:
        if self._pending is not None:
            self.recorder.step_done(self._pending, self._run())
            self._pending = None

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self.recorder.start(args.output_dir)

    def on_step_begin(self, args, state, control, **kwargs):
        self._finish_pending()

    def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
        if model is not None and state.is_world_process_zero:
            self.recorder.gradients(state.global_step + 1, model)

    def on_step_end(self, args, state, control, **kwargs):
        # The Trainer logs this step's loss after on_step_end: the row is written, and the 3D
        # media queued, when the next step begins (or training ends).
        if state.is_world_process_zero:
            self._pending = state.global_step

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and state.is_world_process_zero:
            self.recorder.scalars(state.global_step, logs)

    def on_train_end(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self._finish_pending()
            self.recorder.finish(self._run())
