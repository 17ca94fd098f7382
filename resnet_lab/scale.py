"""Named run scales, in one place.

A scale says how big an experiment is: how many training images, how many
epochs or iterations, the base width of the CIFAR nets and the optimiser
recipe. Pick one by argument (``get_scale("paper")``) or with the environment
variable ``RESNET_LAB_SCALE``; the notebooks default to ``classroom``.

- ``smoke``: seconds; for tests and a quick check that everything runs.
- ``classroom``: minutes on a 2-core laptop CPU, enough to show each phenomenon. Its first epoch warms the
  learning rate up linearly: at lr 0.1 from the first step, resnet-56's loss jumps above 8 within ten
  iterations and the net can die (every output equal to the bias), as He et al. report for ResNet-110.
- ``reference``: the committed reference runs (``python -m resnet_lab reference``): 74 minutes of
  single-threaded CPU training for the four nets, a 20k-image subset for 12 epochs with the paper's two
  learning-rate drops (at half and at three quarters of the run), enough to see where the classroom curves head.
- ``paper``: He et al. 2015, section 4.2, exactly: batch 128, lr 0.1, momentum
  0.9, weight decay 1e-4, lr divided by 10 at 32k and 48k iterations, stop at
  64k, trained on 45k images and validated on the other 5k. A GPU is advised.
"""
from __future__ import annotations

import dataclasses
import difflib
import os
from dataclasses import dataclass
from typing import Optional, Tuple

ENV_VAR = "RESNET_LAB_SCALE"
DEFAULT = "classroom"


@dataclass(frozen=True)
class Scale:
    """A named experiment size and the training recipe that goes with it."""

    name: str
    description: str
    train_per_class: Optional[int]   # images per class for training; None = all
    test_per_class: Optional[int]    # images per class for evaluation; None = all
    validation: bool                 # hold out 5k training images and evaluate on them (the paper's split)
    width: int                       # filters in the first stage of the CIFAR nets (16 in the paper)
    epochs: Optional[int]            # give epochs or iterations
    iterations: Optional[int]
    batch_size: int
    lr: float
    momentum: float = 0.9
    weight_decay: float = 1e-4
    nesterov: bool = False
    milestones: Tuple[float, ...] = ()   # lr / 10 at these iterations (>= 1) or fractions of the run (< 1)
    warmup_iterations: int = 0

    def train_config(self, **overrides):
        """The :class:`resnet_lab.train.TrainConfig` of this scale, with any field overridden."""
        from .train import TrainConfig

        fields = {f.name for f in dataclasses.fields(TrainConfig)}
        values = {k: getattr(self, k) for k in fields if hasattr(self, k)}
        values.update(overrides)
        return TrainConfig(**values)

    def replace(self, **changes) -> "Scale":
        """A copy with some fields changed, e.g. ``scale.replace(epochs=3)``."""
        return dataclasses.replace(self, **changes)


SCALES = {
    "smoke": Scale(
        name="smoke",
        description="seconds: a few hundred images, one epoch; checks that everything runs",
        train_per_class=20, test_per_class=10, validation=False, width=4,
        epochs=1, iterations=None, batch_size=50, lr=0.1, milestones=(),
    ),
    "classroom": Scale(
        name="classroom",
        description="minutes on a 2-core laptop CPU: a subset of CIFAR-10, enough to show each phenomenon",
        train_per_class=500, test_per_class=100, validation=False, width=16,
        epochs=6, iterations=None, batch_size=128, lr=0.1, milestones=(), warmup_iterations=39,
    ),
    "reference": Scale(
        name="reference",
        description="74 min of 1-thread CPU training for 4 nets: 20k images, 12 epochs, lr / 10 at 50%, 75%",
        train_per_class=2000, test_per_class=500, validation=False, width=16,
        epochs=12, iterations=None, batch_size=128, lr=0.1, milestones=(0.5, 0.75), warmup_iterations=156,
    ),
    "paper": Scale(
        name="paper",
        description="He et al. 2015 exactly: 64k iterations of batch 128 on a 45k/5k split; hours on a GPU",
        train_per_class=None, test_per_class=None, validation=True, width=16,
        epochs=None, iterations=64_000, batch_size=128, lr=0.1, milestones=(32_000, 48_000),
    ),
}


def get_scale(scale=None) -> Scale:
    """Resolve a scale: a :class:`Scale`, a name, or ``None`` for ``$RESNET_LAB_SCALE`` (default ``classroom``)."""
    if isinstance(scale, Scale):
        return scale
    name = scale if scale is not None else os.environ.get(ENV_VAR, DEFAULT)
    key = str(name).strip().lower()
    if key not in SCALES:
        close = difflib.get_close_matches(key, SCALES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        origin = "" if scale is not None else f" (from the environment variable {ENV_VAR})"
        raise ValueError(f"Unknown run scale {name!r}{origin}. Choose one of: {', '.join(SCALES)}.{hint}")
    return SCALES[key]


def describe_scales() -> str:
    """A table of the named scales: data, length, recipe."""
    rows = [("scale", "train images", "eval images", "length", "batch", "lr schedule", "width")]
    for s in SCALES.values():
        per_class = lambda n, total: f"{total:,}" if n is None else f"{10 * n:,}"  # noqa: E731
        train_n = per_class(s.train_per_class, 45_000 if s.validation else 50_000)
        eval_n = per_class(s.test_per_class, 5_000 if s.validation else 10_000) + (" val" if s.validation else " test")
        length = f"{s.iterations:,} iterations" if s.iterations else f"{s.epochs} epoch{'s' * (s.epochs != 1)}"
        drops = ", ".join(f"{m:,}" if m >= 1 else f"{m:.0%}" for m in s.milestones)
        schedule = f"{s.lr:g}, /10 at {drops}" if drops else f"{s.lr:g} constant"
        if s.warmup_iterations:
            schedule = f"warm-up {s.warmup_iterations} it, then {schedule}"
        rows.append((s.name, train_n, eval_n, length, str(s.batch_size), schedule, str(s.width)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows)
