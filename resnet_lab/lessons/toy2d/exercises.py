"""Checkers for the exercises of notebook 03 (the 2D toy experiment).

Each checker prints and returns a :class:`resnet_lab.checks.Check`: "Correct: ..." or "Not yet: ..." with what
to fix; ``check.passed`` is a bool. An exercise left as ``raise NotImplementedError`` reads "Not yet".

1. :func:`check_sample_annulus`: sample points uniformly by area in a ring.
2. :func:`check_one_neuron_block`: the residual block z + V ReLU(U z + b) as a function.
3. :func:`check_parameter_count`: the number of parameters of a plain or residual toy net, as a formula.
4. :func:`check_bounded_net`: set the weights of a width-3 plain net by hand so that it classifies the
   rings perfectly with a *bounded* positive region. Then :func:`check_width2_answer`: can width 2 do the same?

The reference solutions are in :mod:`resnet_lab.lessons.toy2d.solutions`.
"""
from __future__ import annotations

import math

import torch

from resnet_lab.checks import (Check, as_bool, as_number, as_tensor, call_learner, checker, describe,
                               largest_difference)
from resnet_lab.lessons.toy2d import boundedness
from resnet_lab.lessons.toy2d import nets as toy2d
from resnet_lab.models import count_parameters


@checker
def check_sample_annulus(sample_annulus) -> Check:
    """``sample_annulus(n, r_min, r_max, generator) -> [n, 2]``: uniform by area in r_min <= ||z|| <= r_max."""
    generator = torch.Generator().manual_seed(0)
    points = call_learner(sample_annulus, 20_000, 2.0, 3.0, generator,
                          what="sample_annulus(20_000, 2.0, 3.0, generator)")
    points = as_tensor(points, (20_000, 2), what="the output of sample_annulus(20_000, ...)")
    r = points.double().norm(dim=1)
    if float(r.min()) < 2 - 1e-5 or float(r.max()) > 3 + 1e-5:
        return Check(False, f"radii should lie in [2, 3], yours span [{float(r.min()):.3f}, {float(r.max()):.3f}]")
    inner_half = float((r < math.sqrt((4 + 9) / 2)).double().mean())
    if abs(inner_half - 0.5) > 0.02:
        return Check(False, f"{100 * inner_half:.1f}% of your points lie inside radius sqrt(6.5) = 2.55, which "
                            "encloses half the ring's area, so it should be about 50%. A uniform radius crowds "
                            "the inner edge: draw r^2 uniformly in [r_min^2, r_max^2] instead.")
    angle = torch.atan2(points[:, 1].double(), points[:, 0].double())
    counts = torch.histc(angle, bins=8, min=-math.pi, max=math.pi) / len(angle)
    if float((counts - 1 / 8).abs().max()) > 0.02:
        return Check(False, "the angles are not uniform: draw the angle uniformly in [0, 2 pi)")
    return Check(True, f"radii in [2, 3]; {100 * inner_half:.1f}% inside the half-area radius; angles uniform.")


@checker
def check_one_neuron_block(block) -> Check:
    """``block(z [n, 2], U [1, 2], b [1], V [2, 1]) -> [n, 2]`` computing z + V ReLU(U z + b) for each row z."""
    generator = torch.Generator().manual_seed(1)
    z = torch.randn(50, 2, generator=generator, dtype=torch.float64)
    U = torch.randn(1, 2, generator=generator, dtype=torch.float64)
    b = torch.randn(1, generator=generator, dtype=torch.float64)
    V = torch.randn(2, 1, generator=generator, dtype=torch.float64)
    out = call_learner(block, z.clone(), U.clone(), b.clone(), V.clone(), what="block(z, U, b, V)")
    out = as_tensor(out, (50, 2), what="the output of block(z, U, b, V)")
    branch = torch.relu(z @ U.T + b) @ V.T
    gap = largest_difference(out, z + branch)
    if gap > 1e-9:
        if largest_difference(out, branch) < 1e-9:
            return Check(False, "you returned V ReLU(U z + b) only: a residual block adds the input z back")
        return Check(False, f"off by up to {gap:.3g}; with rows z, U z + b is z @ U.T + b and V a is a @ V.T")
    return Check(True, "z + V ReLU(U z + b) matches the reference on 50 random rows.")


@checker
def check_parameter_count(count) -> Check:
    """``count(width, depth, residual) -> int``: the parameters of ``toy2d.make_net(width, depth, residual)``."""
    for residual in (False, True):
        kind = "residual (width = neurons per block)" if residual else "plain"
        for width in (1, 2, 3, 5):
            for depth in (1, 2, 5):
                what = f"count({width}, {depth}, {residual})"
                got = as_number(call_learner(count, width, depth, residual, what=what), what=what, integer=True)
                expected = count_parameters(toy2d.make_net(width, depth, residual))
                if got != expected:
                    return Check(False, f"{kind} net, width {width}, depth {depth}: you say {got}, it has "
                                        f"{expected}. Count each weight matrix and bias vector, and the output layer.")
    return Check(True, "your formula matches every plain and residual net tried (widths 1, 2, 3, 5; depths 1, 2, 5).")


@checker
def check_bounded_net(net) -> Check:
    """``net``: a ``toy2d.PlainNet`` of width 3 whose weights you set, classifying fresh rings data perfectly
    with a bounded positive region (proved by :func:`resnet_lab.lessons.toy2d.boundedness.analyse_region`)."""
    if not isinstance(net, toy2d.PlainNet):
        return Check(False, f"pass a toy2d.PlainNet (a plain net: the point is that width 3 suffices); "
                            f"got {describe(net)}")
    if net.width != 3 or net.depth != 1:
        return Check(False, f"use width 3 and depth 1, toy2d.PlainNet(width=3, depth=1) (yours: width {net.width}, "
                            f"depth {net.depth}): three ReLUs in one layer are enough to fence in a polygon")
    if not all(bool(torch.isfinite(p).all()) for p in net.parameters()):
        return Check(False, "some of your net's weights are NaN or infinite: set every weight and bias to a number")
    points, labels = toy2d.sample_rings(4000, seed=123)
    acc = toy2d.accuracy(net, points, labels)
    if acc < 1.0:
        return Check(False, f"{100 * acc:.1f}% of 4,000 fresh points are classified right; aim for 100%. "
                            "Hint: f(z) = c - sum_i ReLU(n_i . z) with three unit vectors n_i at 120 degrees")
    region = boundedness.analyse_region(net)
    if not (region.verdict == "bounded" and region.proved):
        return Check(False, f"100% accurate, but the positive region is {region}: make f negative far away "
                            "in every direction (the three directions n_i must surround the origin)")
    return Check(True, f"100% of 4,000 fresh points, and {{f > 0}} is {region}.")


@checker
def check_width2_answer(answer) -> Check:
    """``answer``: can the weights of a width-2 plain net (any depth) make {f > 0} enclose the disc? True/False."""
    value = as_bool(answer, what="`width2_can_enclose`")
    if value:
        return Check(False, "try it: whatever weights you set, the exact check finds {f > 0} empty or unbounded. "
                            "Section 4 quotes the theorem that says why")
    return Check(True, "no: with every hidden layer at most as wide as the input (2), every connected component "
                       "of a decision region is unbounded (Beise et al. 2018, section 4), so {f > 0} is empty or "
                       "unbounded at any depth; a third neuron removes the obstacle.")
