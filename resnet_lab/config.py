"""One recipe type: everything that shapes a training run's result. The named scales are recipes.

A :class:`Recipe` says which data a run sees (how many CIFAR-10 images, which evaluation split), how wide the
CIFAR nets are, and how they are trained (batch, schedule, optimiser, precision, seed). The training loop, the
run cache and the committed results all read this one object; nothing copies its fields by name.

Pick a named scale by argument (``get_scale("paper")``) or with the environment variable ``RESNET_LAB_SCALE``;
the notebooks default to ``classroom``:

- ``smoke``: seconds; for tests and a quick check that everything runs.
- ``classroom``: minutes on a 2-core laptop CPU, enough to show each phenomenon: 4,500 training images, 3 epochs
  of batch 64 at lr 0.05 (the paper's 0.1 per 128 images), the first epoch a linear warm-up (all our choices).
  Chosen by measurement as the cheapest of the recipes tried that keeps both gaps of notebook 01 (plain-56 minus
  plain-20, plain-56 minus resnet-56) at 10 points of training error or more on each of 5 seeds.
- ``reference``: the committed reference runs of notebook 01 (``python -m resnet_lab runs degradation``):
  a 20k-image subset for 12 epochs with the paper's two learning-rate drops, at half and three quarters.
- ``paper``: He et al. 2015, section 4.2: batch 128, lr 0.1, momentum 0.9, weight decay 1e-4, lr divided by 10
  at 32k and 48k iterations, stop at 64k, trained on 45k images and validated on the other 5k; no warm-up, except
  for nets of 110 layers or more, which start at lr 0.01 until the training error is below 80% (as the paper does
  for ResNet-110 and ResNet-1202; :func:`recipe_for_model`). A GPU is advised.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import os
from dataclasses import dataclass
from typing import Optional, Tuple

ENV_VAR = "RESNET_LAB_SCALE"
DEFAULT = "classroom"
SCHEDULES = ("step", "cosine", "constant")
ERROR_WARMUP_WINDOW = 20   # mini-batches whose mean training error ends an error-based warm-up (our choice)
PRECISIONS = ("auto", "fp32", "bf16")


@dataclass(frozen=True)
class Recipe:
    """A training recipe and the data it runs on. Give ``epochs`` or ``iterations`` (the paper counts iterations).

    Data: ``train_per_class`` / ``test_per_class`` images per class (None: all); ``validation`` holds 5k training
    images out and evaluates on them (the paper's split). ``width``: filters in the first stage of the CIFAR nets.
    Schedule: the learning rate is multiplied by ``gamma`` at each of ``milestones`` (a value >= 1 is an
    iteration, a value < 1 a fraction of the run); it first rises linearly from ``lr / w`` to ``lr`` over the
    ``w`` iterations of ``warmup_epochs`` epochs. ``warmup_lr`` and ``warmup_until_error`` (set together) are He et
    al.'s warm-up for ResNet-110: train at ``warmup_lr`` until the training error, the mean of the last
    :data:`ERROR_WARMUP_WINDOW` mini-batches (our choice of window), is below ``warmup_until_error`` percent, then
    follow the schedule; or, with ``warmup_lr_iterations`` instead, train at ``warmup_lr`` for that many
    iterations (He et al. 2016's warm-up: 0.01 for the first 400). ``precision``: ``"auto"`` uses bfloat16 autocast where the
    hardware computes it natively (CUDA GPUs with bf16, CPUs with AVX512-BF16 or AMX), else float32.
    ``name`` is a label: it does not shape the result, and the run cache ignores it.
    """

    name: str = "custom"
    train_per_class: Optional[int] = None
    test_per_class: Optional[int] = None
    validation: bool = False
    width: int = 16
    epochs: Optional[int] = None
    iterations: Optional[int] = None
    batch_size: int = 128
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    nesterov: bool = False
    schedule: str = "step"
    milestones: Tuple[float, ...] = ()
    gamma: float = 0.1
    warmup_epochs: float = 0.0
    augment: bool = True
    warmup_lr: Optional[float] = None
    warmup_until_error: Optional[float] = None
    warmup_lr_iterations: Optional[int] = None
    precision: str = "auto"
    seed: int = 0
    eval_batch_size: int = 500

    def __post_init__(self):
        if (self.epochs is None) == (self.iterations is None):
            raise ValueError("Give exactly one of epochs or iterations, e.g. Recipe(epochs=10).")
        for name in ("epochs", "iterations", "batch_size", "eval_batch_size", "width", "train_per_class",
                     "test_per_class"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        for name in ("lr", "momentum", "weight_decay", "gamma", "warmup_epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 \
                    or value == float("inf"):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")
        ends = [e for e in (self.warmup_until_error, self.warmup_lr_iterations) if e is not None]
        if (self.warmup_lr is None) != (not ends) or len(ends) > 1:
            raise ValueError("give warmup_lr with one of warmup_until_error (e.g. 0.01 until 80% training error) or "
                             "warmup_lr_iterations (e.g. 0.01 for 400 iterations), or none of them; got "
                             f"warmup_lr={self.warmup_lr!r}, warmup_until_error={self.warmup_until_error!r}, "
                             f"warmup_lr_iterations={self.warmup_lr_iterations!r}")
        if self.warmup_lr_iterations is not None and (isinstance(self.warmup_lr_iterations, bool) or not isinstance(
                self.warmup_lr_iterations, int) or self.warmup_lr_iterations < 1):
            raise ValueError(f"warmup_lr_iterations must be a positive whole number, got {self.warmup_lr_iterations!r}")
        if self.warmup_until_error is not None:
            for name, value in (("warmup_lr", self.warmup_lr), ("warmup_until_error", self.warmup_until_error)):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                    raise ValueError(f"{name} must be a positive number, got {value!r}")
            if not self.warmup_until_error < 100:
                raise ValueError(f"warmup_until_error is a training error in percent below 100, got "
                                 f"{self.warmup_until_error!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if any(not m > 0 for m in self.milestones):
            raise ValueError(f"milestones must be positive (iterations, or fractions below 1), got {self.milestones}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**63:
            raise ValueError(f"seed must be a whole number from 0 to 2**63 - 1, got {self.seed!r}")
        object.__setattr__(self, "milestones", tuple(self.milestones))

    def replace(self, **changes) -> "Recipe":
        """A copy with some fields changed, e.g. ``scale.replace(epochs=3)``; an unknown field is an error."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise TypeError(f"Recipe has no field {', '.join(map(repr, unknown))}; its fields are "
                            f"{', '.join(f.name for f in dataclasses.fields(self))}")
        if changes.get("epochs") is not None and "iterations" not in changes:
            changes["iterations"] = None
        if changes.get("iterations") is not None and "epochs" not in changes:
            changes["epochs"] = None
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """As plain JSON types (milestones as a list): the form a History and a checkpoint store."""
        values = dataclasses.asdict(self)
        values["milestones"] = list(self.milestones)
        return values

    def key(self) -> dict:
        """The fields that shape a run's result (all but the ``name`` label): what the run cache is keyed on."""
        values = self.to_dict()
        values.pop("name")
        return values

    def total_iterations(self, per_epoch: int) -> int:
        """Iterations in the whole run, for ``per_epoch`` batches per epoch."""
        return self.iterations if self.iterations is not None else self.epochs * per_epoch

    def warmup_iterations(self, per_epoch: int) -> int:
        """Iterations of linear warm-up: ``warmup_epochs`` epochs of ``per_epoch`` batches."""
        return round(self.warmup_epochs * per_epoch)

    def train_images(self) -> Optional[int]:
        """Training images the recipe uses (None: the whole training set)."""
        return None if self.train_per_class is None else 10 * self.train_per_class


SCALES = {
    "smoke": Recipe(
        name="smoke", train_per_class=20, test_per_class=10, width=4, epochs=1, batch_size=50, lr=0.1,
    ),
    "classroom": Recipe(
        name="classroom", train_per_class=450, test_per_class=100, width=16, epochs=3, batch_size=64, lr=0.05,
        warmup_epochs=1,
    ),
    "reference": Recipe(
        name="reference", train_per_class=2000, test_per_class=500, width=16, epochs=12, batch_size=128, lr=0.1,
        milestones=(0.5, 0.75), warmup_epochs=1,
    ),
    "paper": Recipe(
        name="paper", validation=True, width=16, iterations=64_000, batch_size=128, lr=0.1,
        milestones=(32_000, 48_000),
    ),
}

DESCRIPTIONS = {
    "smoke": "seconds: a few hundred images, one epoch; checks that everything runs",
    "classroom": "minutes on a 2-core laptop CPU: 4,500 images, 3 epochs of batch 64, enough to show each phenomenon",
    "reference": "the committed runs of notebook 01: 20k images, 12 epochs, lr / 10 at 50% and 75%",
    "paper": "He et al. 2015 exactly: 64k iterations of batch 128 on a 45k/5k split; hours on a GPU",
}

#: He et al.'s ImageNet recipe as torchvision's reference scripts run it: SGD with momentum 0.9, weight decay
#: 1e-4, batch 256, lr 0.1 divided by 10 after 30 and 60 of 90 epochs (the data fields do not apply).
IMAGENET = Recipe(name="imagenet", epochs=90, batch_size=256, lr=0.1, milestones=(1 / 3, 2 / 3),
                  eval_batch_size=250)


def get_scale(scale=None) -> Recipe:
    """Resolve a scale: a :class:`Recipe`, a name, or ``None`` for ``$RESNET_LAB_SCALE`` (default ``classroom``)."""
    if isinstance(scale, Recipe):
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
        if s.warmup_epochs:
            images = s.train_images() or (45_000 if s.validation else 50_000)
            warmup = s.warmup_iterations(images // s.batch_size)
            schedule = f"warm-up {warmup} it, then {schedule}"
        rows.append((s.name, train_n, eval_n, length, str(s.batch_size), schedule, str(s.width)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows)


#: He et al. 2015, section 4.2 (quoted): "So we use 0.01 to warm up the training until the training error is
#: below 80% (about 400 iterations), and then go back to 0.1 and continue training." They do so for the
#: 110-layer net, and train the 1202-layer one "as described above".
PAPER_DEEP_WARMUP = {"warmup_lr": 0.01, "warmup_until_error": 80.0}
PAPER_DEEP_FROM_LAYERS = 110

#: He et al. 2016, appendix (quoted): "for all CIFAR experiments we warm up the training by using a smaller
#: learning rate of 0.01 at the beginning 400 iterations and go back to 0.1 after that, although we remark that
#: this is not necessary for our proposed Residual Unit." The rest of their recipe is that of the 2015 paper.
PAPER_2016_WARMUP = {"warmup_lr": 0.01, "warmup_lr_iterations": 400}


def recipe_for_model(scale: Recipe, depth: Optional[int], family: str = "resnet") -> Recipe:
    """The recipe a net of ``depth`` layers trains with at ``scale``: the ``paper`` scale gives CIFAR nets of 110
    layers or more the 2015 paper's warm-up (:data:`PAPER_DEEP_WARMUP`), and the 2016 paper's nets
    (``family="preresnet"``) its warm-up of 400 iterations at 0.01 (:data:`PAPER_2016_WARMUP`), at every depth;
    every other case is ``scale`` itself."""
    if scale.name != "paper" or depth is None or scale.warmup_lr is not None:
        return scale
    if family == "preresnet":
        return scale.replace(**PAPER_2016_WARMUP)
    if depth >= PAPER_DEEP_FROM_LAYERS:
        return scale.replace(**PAPER_DEEP_WARMUP)
    return scale
