"""ImageNet's ResNet-18 with a CIFAR stem against the paper's CIFAR ResNet-56, trained the same way.

Both nets are trained by :func:`resnet_lab.train_or_load` with the same recipe, images and augmentation.
At the classroom scale this takes about 13 minutes with one torch thread on a 2-core CPU (measured:
ResNet-18 580 s, ResNet-56 208 s), more than notebook 04's time budget, so the two finished Histories are
committed under ``figures/reference/`` and loaded; ``python -m resnet_lab.cifar_stem`` makes them again.
Without them, a short run measures what each net costs. At any other scale (smoke, paper) the nets are
trained (or loaded from ``runs/``).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Dict, Tuple

from .history import History
from .plots.style import figures_dir

COMPARED = ("resnet18_cifar", "resnet56")
REFERENCE_SCALE = "classroom"
COMMAND = "python -m resnet_lab.cifar_stem"  # recorded in each History's notes
SHORT_RUN = {"train_per_class": 50, "test_per_class": 50, "epochs": 2}


def reference_path(model_name: str, scale_name: str = REFERENCE_SCALE) -> Path:
    """Where the committed History of ``model_name`` at ``scale_name`` lives."""
    return figures_dir() / "reference" / f"{model_name}-{scale_name}.json"


def load_reference(scale_name: str = REFERENCE_SCALE) -> Dict[str, History]:
    """The committed Histories of both compared nets, or an empty dict if either is missing."""
    paths = {name: reference_path(name, scale_name) for name in COMPARED}
    if not all(p.is_file() for p in paths.values()):
        return {}
    return {name: History.load(p) for name, p in paths.items()}


def short_scale(scale):
    """The short run used when the classroom-scale reference is missing: 2 epochs on 500 images."""
    return scale.replace(name=f"{scale.name}-short", **SHORT_RUN)


def train_or_load_comparison(data=None, scale=None, seed: int = 0, device=None, retrain: bool = False,
                             progress: bool = True) -> Tuple[Dict[str, History], str]:
    """Histories of ``resnet18_cifar`` and ``resnet56`` at ``scale``, and a sentence saying where they came from.

    At the classroom scale: the committed reference runs when they exist; ``retrain=True`` trains the full
    classroom scale again (about 13 minutes on a 2-core CPU); without a reference, a short run
    (:data:`SHORT_RUN`) that measures the cost of each net, not its accuracy. At any other scale each net
    goes through :func:`resnet_lab.train_or_load` (trained once, then loaded from ``runs/``). ``data`` (a
    ``CIFAR10``) is loaded with :func:`resnet_lab.data.load_cifar10` when needed and not given.
    """
    from .experiments import train_or_load
    from .scale import get_scale

    scale = get_scale(scale)
    origin = f"Trained (or loaded from runs/) at the {scale.name} scale with train_or_load."
    if scale.name == REFERENCE_SCALE and not retrain:
        reference = load_reference(scale.name)
        if reference:
            where = reference_path("<model>", scale.name).relative_to(figures_dir().parent)
            return reference, (f"Loaded the committed {scale.name}-scale runs from {where} "
                               f"(retrain=True trains them again with train_or_load).")
        scale = short_scale(scale)
        origin = (f"No committed {REFERENCE_SCALE}-scale runs (make them with python -m resnet_lab.cifar_stem); "
                  f"trained a short run instead ({scale.epochs} epochs on {10 * scale.train_per_class} images), "
                  f"which measures cost, not accuracy.")
    if data is None:
        from .data import load_cifar10

        data = load_cifar10()
    histories = {name: train_or_load(name, data, scale, seed=seed, device=device, progress=progress)
                 for name in COMPARED}
    return histories, origin


def main(argv=None) -> int:
    """Train both nets at the classroom scale with train_or_load and commit their Histories as the reference."""
    from .data import load_cifar10
    from .scale import get_scale
    from .session import set_threads

    parser = argparse.ArgumentParser(prog="python -m resnet_lab.cifar_stem", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="CIFAR-10 location (default: $RESNET_LAB_DATA)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    data = load_cifar10(args.data)
    scale = get_scale(REFERENCE_SCALE)
    histories, _ = train_or_load_comparison(data, scale, retrain=True)
    for name, history in histories.items():
        history.notes = {"data": data.source, "command": COMMAND}
        target = reference_path(name, scale.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        history.save(target)
        print(f"{name}: {history} -> {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
