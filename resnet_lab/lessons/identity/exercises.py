"""Checkers for notebook 05's exercises.

1. :func:`check_preact_unit`: your full pre-activation unit, ``preact_unit(layers, x)``, against
   :class:`resnet_lab.models.Unit` with ``placement="full_preact"``.
2. :func:`check_formula_gradient`: your ``formula_gradient(g_L, x_l, total_F)``, the right-hand side of
   dE/dx_l = dE/dx_L (1 + d/dx_l sum F), against autograd's dE/dx_l on real units.
3. :func:`check_fixup_factor`: your ``fixup_factor(L, m)``, Fixup's rescaling of the branch weights.

Each checker prints and returns a :class:`resnet_lab.checks.Check`; the reference solutions are in
:mod:`resnet_lab.lessons.identity.solutions`.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import torch
import torch.nn.functional as F

from resnet_lab.checks import (Check, NotYet, as_number, as_tensor, call_learner, checker, describe, largest_difference,
                               randomise_batch_norms)
from resnet_lab.models.units import Unit, unit_net

UNIT_CASES = ((16, 8, True), (32, 4, False), (64, 2, True))   # channels, map size, training mode


def _randomised_unit(channels: int, placement: str, generator: torch.Generator) -> Unit:
    return randomise_batch_norms(Unit(channels, channels, placement=placement), generator)


def _layers(unit: Unit) -> SimpleNamespace:
    """Only the four layers, so the unit itself cannot be called."""
    return SimpleNamespace(bn1=unit.bn1, conv1=unit.conv1, bn2=unit.bn2, conv2=unit.conv2)


_MISTAKES = {
    "original": "you computed the original unit (BN after each convolution, ReLU after the addition); in the full "
                "pre-activation unit, BN and ReLU come *before* each convolution and nothing follows the addition",
    "relu_preact": "you left out the batch norms before the convolutions (that is the ReLU-only pre-activation "
                   "unit); use bn1 before the first ReLU and bn2 before the second",
}


@checker
def check_preact_unit(preact_unit, atol: float = 1e-5) -> Check:
    """``preact_unit(layers, x)`` must return x + conv2(relu(bn2(conv1(relu(bn1(x)))))), where ``layers`` has
    ``bn1, conv1, bn2, conv2``; checked in training and eval mode for three shapes, with non-trivial BN weights."""
    generator = torch.Generator().manual_seed(5)
    for channels, size, training in UNIT_CASES:
        unit = _randomised_unit(channels, "full_preact", generator).train(training)
        x = torch.randn(4, channels, size, size, generator=generator)
        mode = "training" if training else "eval"
        what = f"preact_unit(layers, x) with {channels} channels, {size}x{size} maps, in {mode} mode"
        with torch.no_grad():
            got = as_tensor(call_learner(preact_unit, _layers(unit), x.clone(), what=what),
                            (4, channels, size, size), what)
            want = unit(x)
            if largest_difference(got, want) <= atol:
                continue
            if largest_difference(got, want - x) <= atol:
                raise NotYet(f"{what}: you returned F(x) alone; add the shortcut, x + F(x)")
            if largest_difference(got, torch.relu(want)) <= atol:
                raise NotYet(f"{what}: you applied a ReLU after the addition; in the pre-activation unit nothing "
                             "follows it, so x_L = x_l + sum F holds exactly")
            for placement, hint in _MISTAKES.items():
                other = Unit(channels, channels, placement=placement).train(training)
                other.load_state_dict(unit.state_dict())
                if largest_difference(got, other(x)) <= atol:
                    raise NotYet(f"{what}: {hint}")
        return Check(False, f"{what}: largest difference from the reference {largest_difference(got, want):.3g} "
                            f"(tolerance {atol:g}). The order is bn1, relu, conv1, bn2, relu, conv2, then add x.")
    return Check(True, f"your unit matches the reference in both modes for {len(UNIT_CASES)} shapes: "
                       "BN and ReLU before each convolution, and a bare addition at the end.")


def _formula_case(depth: int = 20, seed: int = 1):
    """(g_L, x_l, total_F, true dE/dx_l) over the identity-shape units of stage 3 of a pre-activation net."""
    torch.manual_seed(seed)
    net = unit_net(depth, placement="full_preact").double().train()
    images = torch.randn(6, 3, 16, 16, dtype=torch.float64)
    labels = torch.randint(0, 10, (6,))
    with torch.no_grad():
        x = net.layer3[0](net.layer2(net.layer1(net.stem(images))))
    x_l = x.detach().requires_grad_(True)
    x, branches = x_l, []
    for unit in list(net.layer3)[1:]:
        s, h = unit.split(x)
        f = unit.branch(h)
        branches.append(f)
        x = unit.combine(s, f)
    loss = F.cross_entropy(net.head(x), labels)
    total_f = torch.stack(branches).sum(0)
    g_L, g_l = torch.autograd.grad(loss, [x, x_l], retain_graph=True)
    return g_L.detach(), x_l, total_f, g_l.detach()


@checker
def check_formula_gradient(formula_gradient, rtol: float = 1e-9) -> Check:
    """``formula_gradient(g_L, x_l, total_F)`` must return dE/dx_L (1 + d total_F / d x_l) as a tensor shaped
    like ``x_l``: ``g_L`` is dE/dx_L, ``total_F`` the sum of the branch outputs, computed from ``x_l`` (keep its
    graph). Compared with autograd's own dE/dx_l, which the function never sees, on two nets."""
    for depth, seed in ((20, 1), (56, 2)):
        g_L, x_l, total_f, true_g_l = _formula_case(depth, seed)
        # the wrong answers we recognise, computed before the learner's code may free the graph
        through = torch.autograd.grad(total_f, x_l, g_L, retain_graph=True)[0]
        elementwise = g_L * (1 + torch.autograd.grad(total_f.sum(), x_l, retain_graph=True)[0])
        what = f"formula_gradient on the last stage of a {depth}-layer pre-activation net"
        got = as_tensor(call_learner(formula_gradient, g_L.clone(), x_l, total_f, what=what), tuple(x_l.shape), what)
        scale = float(true_g_l.abs().max())
        gap = largest_difference(got, true_g_l) / scale
        if gap <= rtol:
            continue
        if largest_difference(got, g_L) / scale <= rtol:
            raise NotYet(f"{what}: you returned dE/dx_L alone, the '1' of the formula; add the second term, the "
                         "vector-Jacobian product of total_F with g_L: torch.autograd.grad(total_F, x_l, g_L, "
                         "retain_graph=True)")
        if largest_difference(got, through) / scale <= rtol:
            raise NotYet(f"{what}: you returned only the term through the branches; add dE/dx_L itself (the "
                         "shortcut's '1')")
        if largest_difference(got, elementwise) / scale <= rtol:
            raise NotYet(f"{what}: you multiplied g_L entry by entry with the gradient of total_F.sum(); the "
                         "formula's d(sum F)/dx_l is a Jacobian, so its term is the vector-Jacobian product "
                         "torch.autograd.grad(total_F, x_l, grad_outputs=g_L), added to g_L")
        return Check(False, f"{what}: relative difference {gap:.3g} from autograd's dE/dx_l. It should be "
                            "g_L + (g_L times the Jacobian of total_F with respect to x_l).")
    return Check(True, "your right-hand side equals autograd's dE/dx_l to float64 precision: the gradient reaching "
                       "x_l is dE/dx_L, undiminished, plus what flows back through the branches.")


FIXUP_CASES = ((54, 2, "ResNet-110: 54 basic units"), (54, 3, "ResNet-164: 54 bottleneck units"),
               (9, 2, "ResNet-20: 9 basic units"), (333, 3, "ResNet-1001: 333 bottleneck units"))


@checker
def check_fixup_factor(fixup_factor) -> Check:
    """``fixup_factor(L, m)`` must return L ** (-1 / (2m - 2)): Fixup's rescaling of the weights inside L residual
    branches of m layers each. Checked on four nets and three random ones; reports the weights of our Fixup ResNet-110."""
    lines = []
    draws = torch.Generator().manual_seed(int(torch.randint(0, 2**31, (1,)).item()))   # fresh pairs each call
    extra = [(int(torch.randint(2, 2000, (1,), generator=draws)), int(torch.randint(2, 5, (1,), generator=draws)))
             for _ in range(3)]
    for L, m, name in FIXUP_CASES + tuple((L, m, f"{L} branches of {m} layers") for L, m in extra):
        want = L ** (-1.0 / (2 * m - 2))
        what = f"fixup_factor({L}, {m}) ({name})"
        got = as_number(call_learner(fixup_factor, L, m, what=what), what)
        if math.isclose(got, want, rel_tol=1e-9):
            if name in dict((c[2], 0) for c in FIXUP_CASES):
                lines.append(f"{name}: {got:.4f}")
            continue
        if math.isclose(got, 1 / want, rel_tol=1e-9):
            raise NotYet(f"{what} = {got:.4g}: the exponent is negative; deeper nets get smaller branch weights")
        if math.isclose(got, L ** (-1.0 / (2 * m)), rel_tol=1e-9):
            raise NotYet(f"{what} = {got:.4g}: the exponent is -1/(2m-2), not -1/(2m)")
        raise NotYet(f"{what} = {got:.4g}; expected a number that shrinks with L and depends on the layers m per "
                     f"branch (got {describe(got)})")
    torch.manual_seed(0)
    ours = unit_net(110, placement="original", batchnorm=False, init="fixup")
    conv = ours.layer1[1].conv1.weight
    he_std = math.sqrt(2.0 / (conv.shape[0] * conv.shape[2] * conv.shape[3]))
    measured = float(conv.detach().std()) / he_std
    return Check(True, "; ".join(lines) + " (and three random nets). In our Fixup ResNet-110 the first conv of a "
                                          f"branch has a standard deviation {measured:.3f} times He's, the rule's "
                                          f"{54 ** -0.5:.3f} up to sampling.")
