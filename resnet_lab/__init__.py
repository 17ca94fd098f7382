"""resnet_lab: the code behind resnet-course. Notebooks import everything from here.

Submodules (loaded on first use): ``rl.data``, ``rl.models``, ``rl.plots``, ``rl.gradients``, ``rl.toy2d``,
``rl.widgets``, ``rl.exercises``.
"""
import importlib

__version__ = "0.1.0"

from .experiments import load_trained_model, train_or_load
from .history import History
from .scale import SCALES, Scale, describe_scales, get_scale
from .session import Session, check_setup, default_device, seed_everything, set_threads, setup
from .train import TrainConfig, TrainingDiverged, evaluate, train

_SUBMODULES = {"data", "models", "plots", "gradients", "toy2d", "widgets", "exercises", "architecture", "reference",
               "degradation", "experiments", "boundedness", "stacks", "residual_formula", "gradient_experiments",
               "gradient_runs", "cifar_stem", "distributed", "imagenet_data", "bench"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name == "get_model":
        from .models import get_model
        return get_model
    raise AttributeError(f"module 'resnet_lab' has no attribute {name!r}")


__all__ = ["__version__", "SCALES", "Scale", "get_scale", "describe_scales", "Session", "setup", "check_setup",
           "seed_everything", "set_threads", "default_device", "TrainConfig", "TrainingDiverged", "History",
           "train", "evaluate", "train_or_load", "load_trained_model", "get_model"]
