"""resnet_lab: the code behind resnet-course.

The core (imported here): ``runtime`` (seeds, threads, device), ``config`` (the one recipe type and the named
scales), ``models``, ``data``, ``training`` (the loop and what it records), ``gradients``, ``plots`` and ``runs``
(load-else-train, and the committed results). Each notebook's own code is one lesson folder, imported in one
line, e.g. ``from resnet_lab.lessons import degradation as lesson``.
"""
from resnet_lab.config import SCALES, Recipe, describe_scales, get_scale
from resnet_lab.models import get_model
from resnet_lab.predictions import Prediction, predict
from resnet_lab.runs import load_committed, load_committed_model, load_trained_model, train_or_load, train_or_load_many
from resnet_lab.runtime import __version__, default_device, seed_everything, set_threads
from resnet_lab.session import Session, check_setup, setup
from resnet_lab.training import History, TrainingDiverged, evaluate, train
from resnet_lab import data, models, plots, runs  # noqa: E402  (core sub-packages the notebooks use as rl.data, ...)

__all__ = ["__version__", "SCALES", "Recipe", "get_scale", "describe_scales", "Session", "setup", "check_setup",
           "seed_everything", "set_threads", "default_device", "TrainingDiverged", "History", "train", "evaluate",
           "train_or_load", "train_or_load_many", "load_trained_model", "load_committed", "load_committed_model", "get_model", "data",
           "models", "plots", "runs", "predict", "Prediction"]
