"""Notebook 05's measurements: the unrolled formula on real units, signal propagation at initialisation, and the
committed training runs (the five placements; deep nets without batch norm).

He et al. 2016 write, for units with nothing after the addition,

    x_L = x_l + sum_{i=l}^{L-1} F(x_i)        and        dE/dx_l = dE/dx_L (1 + d/dx_l sum_{i=l}^{L-1} F(x_i)).

:func:`check_unrolled_formula` measures both sides with autograd on the units of a real net, for any placement.
:func:`measure_signal` runs one batch through a net at initialisation and records, after the stem and after every
unit, the root-mean-square of the activations (forward) and of the loss's gradient with respect to them
(backward).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

from resnet_lab.config import Recipe, get_scale
from resnet_lab.models.units import PLACEMENTS, unit_net
from resnet_lab.runs import GROUPS, NO_BATCHNORM_NETS, load_committed, train_or_load_many
from resnet_lab.training import History

#: He et al. 2016, Table 2 (quoted): "Classification error (%) on the CIFAR-10 test set using different activation
#: functions." Each is the median of 5 runs (their section 3.1) of the full recipe (64k iterations).
PAPER_TABLE2 = {
    "original": (6.61, 5.93),
    "bn_after_add": (8.17, 6.50),
    "relu_before_add": (7.84, 6.14),
    "relu_preact": (6.71, 5.91),
    "full_preact": (6.37, 5.46),
}

#: The nets without batch norm (the ``no_batchnorm`` group of committed runs), by label.
NO_BN_DESCRIPTIONS = {
    "plain": "plain net, He init",
    "residual": "residual, He init",
    "zero_last": "residual, last conv of each branch at zero",
    "skipinit": "SkipInit: alpha = 0 on each branch",
    "fixup": "Fixup",
}

#: Depths of the signal-propagation study: basic units, 6n+2, up to 998 (the 6n+2 depth nearest 1001).
SIGNAL_DEPTHS = (20, 56, 110, 248, 500, 998)


def no_bn_options(label: str) -> dict:
    """The ``preresnet{depth}`` options of a net of the ``no_batchnorm`` group (the 2015 unit without its batch
    norms, as in Zhang et al.'s Fixup nets: our choice)."""
    if label not in NO_BATCHNORM_NETS:
        raise ValueError(f"unknown variant {label!r}; choose one of {', '.join(NO_BATCHNORM_NETS)}")
    return dict(GROUPS["no_batchnorm"].spec(label)[1])


# ------------------------------------------------------------------ 1. the formula on real units

@dataclass
class FormulaCheck:
    """Both sides of the unrolled formula over ``units`` units of one stage, as relative differences."""

    placement: str
    units: int
    forward_gap: float    # |x_L - (x_l + sum F)| / |x_L|
    backward_gap: float   # |dE/dx_l - dE/dx_L (1 + d sum F / dx_l)| / |dE/dx_l|
    dropped_gradient: float   # share of dE/dx_L's entries that a ReLU after the addition zeroes on the way down

    def __repr__(self) -> str:
        return (f"{self.placement:<16} over {self.units} units: forward {self.forward_gap:.1e}, "
                f"backward {self.backward_gap:.1e}")


def check_unrolled_formula(placement: str, depth: int = 56, stage: int = 3, batch: int = 16,
                           seed: int = 0) -> FormulaCheck:
    """Measure x_L - (x_l + sum F) and dE/dx_l - dE/dx_L (1 + d sum F/dx_l) on the units of one stage of
    ``preresnet{depth}`` with ``placement``, at initialisation, in training mode, on a random batch.

    x_l is the output of the stage's first unit (which changes the shape), x_L the stage's output; E is the
    cross-entropy of the net's head on x_L for random labels. The sum over F uses each unit's own branch output.
    """
    torch.manual_seed(seed)
    net = unit_net(depth, placement=placement).double().train()
    images = torch.randn(batch, 3, 32, 32, dtype=torch.float64)
    labels = torch.randint(0, 10, (batch,))
    layers = [net.layer1, net.layer2, net.layer3]
    with torch.no_grad():
        x = net.stem(images)
        for layer in layers[:stage - 1]:
            x = layer(x)
        x = layers[stage - 1][0](x)
    x_l = x.detach().requires_grad_(True)
    x, branches, masks = x_l, [], []
    for unit in list(layers[stage - 1])[1:]:
        s, h = unit.split(x)
        f = unit.branch(h)
        x = unit.combine(s, f)
        branches.append(f)
        masks.append((x > 0).double().mean() if unit.after_add else torch.ones((), dtype=torch.float64))
    x_L = x
    for layer in layers[stage:]:
        x_L = layer(x_L)
    loss = F.cross_entropy(net.head(x_L), labels)
    total_f = torch.stack(branches).sum(0)
    forward_gap = ((x - (x_l + total_f)).norm() / x.norm()).item()
    g_L, g_l = torch.autograd.grad(loss, [x, x_l], retain_graph=True)
    (through,) = torch.autograd.grad(total_f, x_l, grad_outputs=g_L)
    backward_gap = ((g_l - g_L - through).norm() / g_l.norm()).item()
    dropped = 1.0 - torch.stack(masks).prod().item() if any(u.after_add for u in layers[stage - 1]) else 0.0
    return FormulaCheck(placement, len(branches), forward_gap, backward_gap, dropped)


def check_all_placements(**kwargs) -> Dict[str, FormulaCheck]:
    """:func:`check_unrolled_formula` for each of the five placements."""
    return {p: check_unrolled_formula(p, **kwargs) for p in PLACEMENTS}


# ------------------------------------------------------------------ 2. signal propagation at initialisation

@dataclass
class SignalProfile:
    """RMS of the activations and of dE/d(activations) after the stem and after every unit, at initialisation."""

    label: str
    depth: int
    forward: List[float]
    backward: List[float]
    seconds: float

    @property
    def gradient_ratio(self) -> float:
        """RMS gradient after the stem over that at the last unit's output (first over last)."""
        return self.backward[0] / self.backward[-1]

    @property
    def forward_growth(self) -> float:
        """RMS activation at the last unit's output over that after the stem."""
        return self.forward[-1] / self.forward[0]


def _rms(t: torch.Tensor) -> float:
    return t.pow(2).mean().sqrt().item()


def measure_signal(depth: int, placement: str = "full_preact", batchnorm: bool = True, init: str = "he",
                   residual: bool = True, batch: int = 2, size: int = 32, seed: int = 0,
                   label: Optional[str] = None) -> SignalProfile:
    """Forward and backward RMS through ``preresnet{depth}`` (basic units) at initialisation, in float64 so that
    even an exploding net stays finite: one random batch of ``batch`` images of ``size`` x ``size`` pixels with
    random labels, batch norm in training mode (batch statistics), as in the first step of training.

    The loss E is a fixed random linear function of the pooled features (after the net's own head activations),
    the same for every variant, instead of the net's classifier and cross-entropy: Fixup starts its classifier at
    zero, which would send no gradient into the net at the first step, and a cross-entropy of the exploding nets'
    enormous logits is flat."""
    profile = _measure_signal(depth, placement, bool(batchnorm), init, bool(residual), batch, size, seed)
    return profile if label is None else dataclasses.replace(profile, label=label)


@lru_cache(maxsize=256)
def _measure_signal(depth, placement, batchnorm, init, residual, batch, size, seed) -> SignalProfile:
    start = time.perf_counter()
    data = torch.Generator().manual_seed(seed)      # the same batch and readout for every net
    images = torch.randn(batch, 3, size, size, dtype=torch.float64, generator=data)
    torch.manual_seed(seed)
    net = unit_net(depth, block="basic", placement=placement, batchnorm=batchnorm, init=init,
                   residual=residual).double().train()
    x = net.stem(images)
    x.retain_grad()
    stream = [x]
    for unit in net.units():
        x = unit(x)
        x.retain_grad()
        stream.append(x)
    features = x
    for op in net.head_ops:
        features = getattr(net, op)(features)
    readout = torch.randn(net.channels, dtype=torch.float64, generator=data) / net.channels ** 0.5
    (torch.flatten(net.avgpool(features), 1) @ readout).sum().backward()
    forward = [_rms(t.detach()) for t in stream]
    backward = [_rms(t.grad) for t in stream]
    name = (f"{PLACEMENTS[placement]}{'' if batchnorm else ', no BN'}{'' if init == 'he' else ', init ' + init}"
            f"{'' if residual else ', plain (no shortcuts)'}")
    return SignalProfile(name, depth, forward, backward, time.perf_counter() - start)


def signal_variants() -> Dict[str, dict]:
    """The nets of the signal-propagation summary: the five placements with batch norm, and the five nets of
    :data:`NO_BN_VARIANTS`, as :func:`measure_signal` options by label."""
    variants = {PLACEMENTS[p]: {"placement": p} for p in PLACEMENTS}
    for label, description in NO_BN_DESCRIPTIONS.items():
        variants[f"no BN: {description}"] = no_bn_options(label)
    return variants


def signal_vs_depth(depths=SIGNAL_DEPTHS, variants: Optional[Dict[str, dict]] = None,
                    **kwargs) -> Dict[str, List[SignalProfile]]:
    """:func:`measure_signal` for each variant (default :func:`signal_variants`) at each depth."""
    variants = variants or signal_variants()
    return {label: [measure_signal(d, label=label, **options, **kwargs) for d in depths]
            for label, options in variants.items()}


# ------------------------------------------------------------------ 3. committed training runs

def load_seeds(group: str) -> Dict[int, Dict[str, History]]:
    """The committed runs of ``group`` (``"placements"`` or ``"no_batchnorm"``), by seed, then label."""
    g = GROUPS[group]
    return {seed: load_committed(group, seed) for seed in g.seeds}


def final_errors(seeds: Dict[int, Dict[str, History]], key: str = "train_error") -> Dict[str, List[float]]:
    """The final ``key`` of each label, one value per seed (in seed order)."""
    labels = list(next(iter(seeds.values())))
    return {label: [runs[label].final(key) for runs in seeds.values()] for label in labels}


def divergence_table(seeds: Dict[int, Dict[str, History]]) -> List[Tuple[str, List[Optional[int]], List[float]]]:
    """(label, iteration of divergence per seed or None, final training loss per seed; NaN where diverged)."""
    labels = list(next(iter(seeds.values())))
    rows = []
    for label in labels:
        runs = [s[label] for s in seeds.values()]
        rows.append((label, [h.diverged_at for h in runs],
                     [float("nan") if h.diverged_at else sum(h.iter_loss[-20:]) / 20 for h in runs]))
    return rows


#: What notebook 05 trains live: seed 0 of two placements at the notebook's scale, and of the residual net without
#: batch norm at the no_batchnorm group's recipe (it diverges within a few iterations).
LIVE_PLACEMENTS = ("bn_after_add", "full_preact")
LIVE_NO_BN = ("residual",)


def live_no_bn_recipe(scale: Recipe) -> Recipe:
    """The recipe of the committed runs without batch norm, on the images and width of ``scale`` (at the
    classroom scale: exactly the committed runs' recipe)."""
    return GROUPS["no_batchnorm"].scale.replace(train_per_class=scale.train_per_class,
                                                test_per_class=scale.test_per_class, width=scale.width)


def train_live_runs(data, scale, processes=None, device=None) -> Tuple[Dict[str, History], Dict[str, History]]:
    """Notebook 05's live runs (or load them): ``(placements, nets without batch norm)``, by label, seed 0."""
    scale = get_scale(scale)
    placements = GROUPS["placements"]
    nobn = GROUPS["no_batchnorm"]
    live = train_or_load_many(list(LIVE_PLACEMENTS), data, scale, seeds=0, processes=processes, device=device,
                              variants=placements.variants)
    live_nobn = train_or_load_many(list(LIVE_NO_BN), data, live_no_bn_recipe(scale), seeds=0, processes=processes,
                                   device=device, variants=nobn.variants, on_divergence=nobn.on_divergence)
    return live, live_nobn


#: The orderings notebook 05 asserts on every committed seed, as (worse placements, better placements, measure).
PLACEMENT_CONTRASTS = (
    (("bn_after_add",), ("relu_before_add",), "train_error"),
    (("relu_before_add",), ("original",), "train_error"),
    (("original",), ("relu_preact", "full_preact"), "train_error"),
    (("bn_after_add",), ("original", "relu_before_add", "relu_preact", "full_preact"), "eval_error"),
    (("original", "bn_after_add", "relu_before_add"), ("relu_preact", "full_preact"), "eval_error"),
)


def placement_margins(seeds: Dict[int, Dict[str, History]]) -> List[Tuple[str, List[float]]]:
    """For each of :data:`PLACEMENT_CONTRASTS`: (description, per seed: the best of the worse placements minus the
    worst of the better ones, in points). A positive margin on a seed means the ordering holds on that seed."""
    rows = []
    for worse, better, key in PLACEMENT_CONTRASTS:
        margins = [min(runs[p].final(key) for p in worse) - max(runs[p].final(key) for p in better)
                   for runs in seeds.values()]
        what = "training" if key == "train_error" else "test"
        rows.append((f"{'/'.join(PLACEMENTS[p][:3] for p in worse)} above {'/'.join(PLACEMENTS[p][:3] for p in better)}, "
                     f"final {what} error", margins))
    return rows
