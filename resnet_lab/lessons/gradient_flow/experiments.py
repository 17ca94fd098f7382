"""The gradient-flow experiments of notebook 02, each one call (measurements live in :mod:`resnet_lab.gradients`).

- :func:`measure_cifar_nets`: gradient flow at initialisation of He et al.'s CIFAR nets, plain and residual,
  with and without BatchNorm, at several depths.
- :func:`scaled_shortcut_flows`: residual stacks with shortcut ``lambda x`` (He et al. 2016, section 3.1).
- :func:`shattered_gradients`: df/dx along a line for a shallow, a deep plain and a deep residual net
  (Balduzzi et al. 2017).
"""
from __future__ import annotations

from typing import Dict, Sequence, Tuple

import torch

from resnet_lab.gradients import GradientFlow, input_gradients, measure_gradient_flow
from resnet_lab.lessons.gradient_flow.stacks import make_stack, one_thread
from resnet_lab.models import get_model


def measure_cifar_nets(depths: Sequence[int] = (8, 20, 56, 110), batchnorm: Sequence[bool] = (False, True),
                       batch_size: int = 8, width: int = 16, seed: int = 0) -> Dict[Tuple[str, int, bool], GradientFlow]:
    """``{(family, depth, batchnorm): GradientFlow}`` for ``plain{depth}`` and ``resnet{depth}`` at initialisation.

    One batch of ``batch_size`` random images (standard normal, the scale of normalised CIFAR-10) with random
    labels; every net is initialised from the same seed. Labels of the flows read ``"plain-56"`` etc.
    """
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, 3, 32, 32, generator=generator)
    y = torch.randint(0, 10, (batch_size,), generator=generator)
    flows = {}
    for bn in batchnorm:
        for depth in depths:
            for family in ("plain", "resnet"):
                torch.manual_seed(seed)
                model = get_model(f"{family}{depth}", batchnorm=bn, width=width)
                flows[(family, depth, bn)] = measure_gradient_flow(model, x, y, label=f"{family}-{depth}")
    return flows


def group_by_batchnorm(flows: Dict[Tuple[str, int, bool], GradientFlow]) -> Dict[str, Dict[str, GradientFlow]]:
    """``{"no BatchNorm": {label: flow}, "with BatchNorm": {...}}`` for :func:`plot_gradient_flow`."""
    groups: Dict[str, Dict[str, GradientFlow]] = {}
    for (family, depth, bn), flow in flows.items():
        groups.setdefault("with BatchNorm" if bn else "no BatchNorm", {})[flow.label] = flow
    return groups


def ratio_rows(flows: Dict[Tuple[str, int, bool], GradientFlow], kind: str = "activation"):
    """Rows ``{depth, residual, batchnorm, ratio}`` for :func:`plot_gradient_ratio_vs_depth`."""
    return [dict(depth=depth, residual=family != "plain", batchnorm=bn, ratio=flow.ratio(kind))
            for (family, depth, bn), flow in flows.items()]


def scaled_shortcut_flows(shortcut_scales: Sequence[float] = (0.5, 0.9, 1.0, 1.1), units: int = 54,
                          width: int = 64, init_scale: float = 0.1, batchnorm: bool = False, batch_size: int = 64,
                          seed: int = 0) -> Dict[float, GradientFlow]:
    """``{lambda: GradientFlow}`` of residual stacks ``x_{l+1} = lambda x_l + F(x_l)`` (same weights for every lambda).

    54 units, as in ResNet-110. ``init_scale=0.1`` keeps the branches F small, so the shortcut term dominates.
    """
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, 16, generator=generator)
    y = torch.randn(batch_size, 1, generator=generator)
    with one_thread():
        return {lam: measure_gradient_flow(make_stack(units, True, seed=seed, width=width, init_scale=init_scale,
                                                      batchnorm=batchnorm, shortcut_scale=lam), x, y,
                                           label=f"lambda={lam:g}")
                for lam in shortcut_scales}


def shattered_gradients(depth: int = 50, width: int = 200, points: int = 256, low: float = -2.0, high: float = 2.0,
                        seed: int = 0):
    """``(x, {label: df/dx})`` along ``points`` inputs in [low, high] for three nets with BatchNorm.

    A shallow net (one unit), a deep plain net and a deep residual net of ``depth`` units, ``width`` wide, one
    input and one output; the deep nets share their weights.
    """
    x = torch.linspace(low, high, points)[:, None]
    nets = {"plain, shallow (1 unit)": make_stack(1, False, seed=seed, width=width, in_features=1, batchnorm=True),
            f"plain, deep ({depth} units)": make_stack(depth, False, seed=seed, width=width, in_features=1,
                                                      batchnorm=True),
            f"residual, deep ({depth} units)": make_stack(depth, True, seed=seed, width=width, in_features=1,
                                                         batchnorm=True)}
    with one_thread():
        return x[:, 0], {label: input_gradients(net, x)[:, 0] for label, net in nets.items()}
