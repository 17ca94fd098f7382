"""Load-else-train: named CIFAR experiments cached by their configuration.

``train_or_load("plain56", data, "classroom")`` trains plain-56 at the classroom scale once, keeps its
checkpoint and History under ``runs/<name>/``, and on every later call loads the History instead of
training again. An interrupted run resumes from its last checkpoint. Delete the folder to retrain.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Callable, Optional, Tuple

from .history import History
from .scale import Scale, get_scale

RUNS_ENV_VAR = "RESNET_LAB_RUNS"
_IMAGENET_NAMES = {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152"}


def runs_dir() -> Path:
    """Where cached runs live: ``$RESNET_LAB_RUNS``, else ``runs/`` in the course checkout."""
    if os.environ.get(RUNS_ENV_VAR):
        return Path(os.environ[RUNS_ENV_VAR])
    repo = Path(__file__).resolve().parents[1]
    if (repo / "resnet_lab").is_dir() and (repo / "notebooks").is_dir():
        return repo / "runs"
    return Path.cwd() / "runs"


def is_cifar_family(model_name: str) -> bool:
    """True for the 6n+2 CIFAR nets of He et al. 2015 (``plain20``, ``resnet56``...), whose width a scale sets."""
    return bool(re.fullmatch(r"(plain|resnet)\d+", model_name)) and model_name not in _IMAGENET_NAMES


def split_for_scale(data, scale: Scale, seed: int = 0) -> Tuple[object, object, str]:
    """The training and evaluation sets a scale asks for: (train_set, eval_set, eval_name)."""
    from .data import split_validation

    train_set, eval_set, eval_name = data.train, data.test, "test"
    if scale.validation:
        train_set, eval_set = split_validation(train_set, val_size=5000, seed=seed)
        eval_name = "validation"
    if scale.train_per_class is not None:
        train_set = train_set.subset(scale.train_per_class, seed=seed)
    if scale.test_per_class is not None:
        eval_set = eval_set.subset(scale.test_per_class, seed=seed)
    return train_set, eval_set, eval_name


def build_model(model_name: str, scale: Scale, **model_options):
    """``get_model`` with the scale's width for the CIFAR family."""
    from .models import get_model

    if is_cifar_family(model_name):
        model_options.setdefault("width", scale.width)
    return get_model(model_name, **model_options)


def run_name(model_name: str, scale: Scale, seed: int, source: str = "", **model_options) -> str:
    """A folder name that changes whenever anything that shapes the result changes."""
    key = json.dumps({"scale": scale.__dict__, "seed": seed, "model": model_name, "options": model_options,
                      "source": source}, sort_keys=True, default=str)
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    return f"{model_name}-{scale.name}-seed{seed}-{digest}"


def run_folder(model_name: str, data, scale=None, seed: int = 0, runs=None, **model_options) -> Path:
    """The folder where :func:`train_or_load` keeps this run's checkpoint and History."""
    scale = get_scale(scale)
    folder = Path(runs) if runs is not None else runs_dir()
    return folder / run_name(model_name, scale, seed, getattr(data, "source", ""), **model_options)


def load_trained_model(model_name: str, data, scale=None, seed: int = 0, runs=None, **model_options):
    """The model that :func:`train_or_load` trained, with its final weights, on the CPU in eval mode."""
    from .train import CHECKPOINT, load_checkpoint

    scale = get_scale(scale)
    folder = run_folder(model_name, data, scale, seed, runs, **model_options)
    if not (folder / CHECKPOINT).is_file():
        raise FileNotFoundError(f"{model_name} has not been trained at the {scale.name} scale with seed {seed} "
                                f"(no checkpoint in {folder}); call train_or_load first.")
    model = build_model(model_name, scale, **model_options)
    model.load_state_dict(load_checkpoint(folder / CHECKPOINT)["model"])
    return model.eval()


def train_or_load(model_name: str, data, scale=None, seed: int = 0, device=None, runs=None,
                  progress: bool = True, after_backward: Optional[Callable] = None, **model_options) -> History:
    """Train ``model_name`` on ``data`` (a ``CIFAR10``) at ``scale``, or load the finished run from disk.

    ``after_backward`` is only called when training actually happens (not when a cached run is loaded).
    """
    from .session import seed_everything
    from .train import HISTORY, train

    scale = get_scale(scale)
    folder = run_folder(model_name, data, scale, seed, runs, **model_options)
    if (folder / HISTORY).is_file():
        history = History.load(folder / HISTORY)
        if history.completed:
            print(f"Loaded {model_name} from {folder} (delete that folder to train again).")
            return history
    seed_everything(seed)
    model = build_model(model_name, scale, **model_options)
    train_set, eval_set, eval_name = split_for_scale(data, scale, seed)
    return train(model, train_set, eval_set, scale.train_config(seed=seed), out=folder, resume=True,
                 device=device, progress=progress, after_backward=after_backward, eval_name=eval_name,
                 model_name=model_name)
