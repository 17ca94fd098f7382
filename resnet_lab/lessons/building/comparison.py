"""ImageNet's ResNet-18 with a CIFAR stem against the paper's CIFAR ResNet-56, trained the same way.

Both nets are trained by :func:`resnet_lab.train_or_load` with the same recipe, images and augmentation. The
recipe of the committed comparison is :data:`resnet_lab.runs.CIFAR_STEM` (5,000 images, 6 epochs); training took
about 13 minutes with one torch thread on a 2-core CPU (ResNet-18 580 s, ResNet-56 208 s), more than notebook 04's
time budget, so the two finished Histories are committed (the ``cifar_stem`` group of :mod:`resnet_lab.runs`, made
by ``python -m resnet_lab runs cifar_stem``) and loaded at the classroom scale. Without them, a short run measures
what each net costs. At any other scale (smoke, paper) the nets are trained at that scale (or loaded from
``runs/``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple

from resnet_lab.config import get_scale
from resnet_lab.data import load_cifar10
from resnet_lab.runs import GROUPS, committed_path, load_committed, train_or_load
from resnet_lab.training import History

GROUP = GROUPS["cifar_stem"]
CHECKOUT = Path(__file__).resolve().parents[3]
COMPARED = GROUP.models
SHORT_RUN = {"train_per_class": 50, "test_per_class": 50, "epochs": 2}


def short_scale(scale):
    """The short run used when the committed runs are missing: 2 epochs on 500 images."""
    return scale.replace(name=f"{scale.name}-short", **SHORT_RUN)


def train_or_load_comparison(data=None, scale=None, seed: int = 0, device=None, retrain: bool = False,
                             progress: bool = True) -> Tuple[Dict[str, History], str]:
    """Histories of ``resnet18_cifar`` and ``resnet56`` at ``scale``, and a sentence saying where they came from.

    At the classroom scale: the committed runs when they exist (made with their own recipe,
    :data:`resnet_lab.runs.CIFAR_STEM`); ``retrain=True`` trains that recipe again (about 13 minutes on a 2-core
    CPU); without committed runs, a short run (:data:`SHORT_RUN`) that measures the cost of each net, not its
    accuracy. At any other scale each net goes through
    :func:`resnet_lab.train_or_load`. ``data`` (a ``CIFAR10``) is loaded when needed and not given.
    """
    scale = get_scale(scale)
    origin = f"Trained (or loaded from runs/) at the {scale.name} scale with train_or_load."
    if scale.name == "classroom":
        recipe = get_scale(GROUP.scale)
        committed = {} if retrain else load_committed(GROUP.name, seed)
        if committed:
            where = committed_path(GROUP.name, "<model>", seed)
            if where.is_relative_to(CHECKOUT):
                where = where.relative_to(CHECKOUT)
            return committed, (f"Loaded the committed runs from {where}, trained with their own recipe "
                               f"({recipe.train_images():,} images, {recipe.epochs} epochs; made by `{GROUP.command}`; "
                               "retrain=True trains them again).")
        scale = recipe if retrain else short_scale(recipe)
        origin = (f"Trained the committed runs' recipe again ({scale.train_images():,} images, {scale.epochs} epochs)."
                  if retrain else
                  f"No committed runs (make them with `{GROUP.command}`); trained a short run instead "
                  f"({scale.epochs} epochs on {scale.train_images()} images), which measures cost, not accuracy.")
    if data is None:
        data = load_cifar10()
    histories = {name: train_or_load(name, data, scale, seed=seed, device=device, progress=progress)
                 for name in COMPARED}
    return histories, origin
