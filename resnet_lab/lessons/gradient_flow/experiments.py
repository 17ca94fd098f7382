"""The gradient-flow experiments of notebook 02, each one call (measurements live in :mod:`resnet_lab.gradients`).

- :func:`measure_cifar_nets`: gradient flow at initialisation of He et al.'s CIFAR nets, plain and residual,
  with and without BatchNorm, at several depths.
- :func:`scaled_shortcut_flows`: residual stacks with shortcut ``lambda x`` (He et al. 2016, section 3.1).
- :func:`shattered_gradients`: df/dx along a line for a shallow, a deep plain and a deep residual net
  (Balduzzi et al. 2017); :func:`shattering_vs_depth`: the autocorrelation r(1) of df/dx against depth.
- :func:`probe_learning_rates`: the learning rates the training loop uses in the first iterations of a recipe.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import torch

from resnet_lab.config import Recipe
from resnet_lab.gradients import GradientFlow, autocorrelation, input_gradients, measure_gradient_flow
from resnet_lab.lessons.gradient_flow.stacks import make_stack, one_thread
from resnet_lab.models import get_model
from resnet_lab.runs import split_for_scale
from resnet_lab.training import learning_rate


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


def _line(points: int, low: float, high: float) -> torch.Tensor:
    if isinstance(points, bool) or not isinstance(points, int) or points < 3:
        raise ValueError(f"points must be a whole number of at least 3, got {points!r}")
    if not low < high:
        raise ValueError(f"the line needs low < high, got [{low}, {high}]")
    return torch.linspace(low, high, points)[:, None]


def _line_stack(depth: int, residual: bool, seed: int, width: int, bias_std: float, batchnorm: bool):
    return make_stack(depth, residual, seed=seed, width=width, in_features=1, batchnorm=batchnorm, bias_std=bias_std)


def shattered_gradients(depth: int = 50, width: int = 200, points: int = 256, low: float = -2.0, high: float = 2.0,
                        bias_std: float = 1.0, batchnorm: bool = True, seed: int = 0):
    """``(x, {label: df/dx})`` along ``points`` inputs in [low, high] for three nets with one input and one output.

    A shallow net (one unit), a deep plain net and a deep residual net of ``depth`` units, ``width`` wide, units
    ``F(x) = W relu(BN(x) + b)`` with biases ``b ~ N(0, bias_std^2)`` (so the kinks of df/dx are spread along the
    line, not all at the mean of x where BatchNorm centres every unit); the deep nets share their weights and
    biases. BatchNorm takes its statistics over the ``points`` inputs (see :func:`input_gradients`).
    """
    x = _line(points, low, high)
    nets = {"plain, shallow (1 unit)": _line_stack(1, False, seed, width, bias_std, batchnorm),
            f"plain, deep ({depth} units)": _line_stack(depth, False, seed, width, bias_std, batchnorm),
            f"residual, deep ({depth} units)": _line_stack(depth, True, seed, width, bias_std, batchnorm)}
    with one_thread():
        return x[:, 0], {label: input_gradients(net, x)[:, 0] for label, net in nets.items()}


def shattering_vs_depth(depths: Sequence[int] = (1, 2, 4, 8, 16, 24, 32, 50), seeds: Sequence[int] = (0, 1, 2, 3, 4),
                        lag: int = 1, width: int = 200, points: int = 256, low: float = -2.0, high: float = 2.0,
                        bias_std: float = 1.0, batchnorm: bool = True) -> Dict[str, Dict[int, List[float]]]:
    """``{"plain": {depth: [r(lag) for each seed]}, "residual": {...}}``: how alike df/dx is at neighbouring inputs.

    The nets are those of :func:`shattered_gradients` (plain and residual with the same weights for each seed);
    r(lag) is the autocorrelation of df/dx along the line at ``lag`` points.
    """
    x = _line(points, low, high)
    if not depths or not seeds:
        raise ValueError("give at least one depth and one seed")
    result: Dict[str, Dict[int, List[float]]] = {"plain": {}, "residual": {}}
    with one_thread():
        for family in result:
            for depth in depths:
                result[family][int(depth)] = [
                    float(autocorrelation(input_gradients(_line_stack(int(depth), family == "residual", seed, width,
                                                                      bias_std, batchnorm), x)[:, 0], lag)[lag])
                    for seed in seeds]
    return result


#: The nets whose first iterations section 6 records, every PROBE_EVERY iterations, with :func:`probe_recipe`.
PROBE_MODELS = ("plain20", "resnet20", "plain56", "resnet56")
PROBE_EVERY = 4


def probe_recipe(scale: Recipe) -> Recipe:
    """Section 6's probe: the first 20 iterations of ``scale``'s recipe in batches of 16, one test image a class."""
    return scale.replace(name=f"{scale.name}-gradient-probe", epochs=None, iterations=20, batch_size=16,
                         test_per_class=1)


def probe_learning_rates(data, scale: Recipe, iterations: Sequence[int], seed: int = 0) -> List[float]:
    """The learning rate the training loop uses at each of ``iterations`` (0-based) when it trains on ``data`` with
    recipe ``scale`` (the recipe's subset of ``data``, batches per epoch, warm-up and schedule)."""
    train_set, _, _ = split_for_scale(data, scale, seed)
    per_epoch = len(train_set.labels) // scale.batch_size
    if per_epoch < 1:
        raise ValueError(f"{len(train_set.labels)} training images make no batch of {scale.batch_size}")
    return [learning_rate(scale, int(i), per_epoch) for i in iterations]
