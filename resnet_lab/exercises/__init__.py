"""Checkers for the notebooks' exercises, one module per topic: each compares a learner's code with a reference.

Submodules load on first use: ``rl.exercises.degradation``, ``rl.exercises.residual_unit``,
``rl.exercises.toy2d``, ``rl.exercises.bottleneck``.
"""
import importlib

_TOPICS = {"degradation", "residual_unit", "toy2d", "bottleneck", "check"}


def __getattr__(name):
    if name in _TOPICS:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'resnet_lab.exercises' has no attribute {name!r}")
