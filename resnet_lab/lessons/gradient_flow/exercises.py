"""Checkers for the exercises of notebook 02 (the residual formula and gradient flow).

Each checker prints and returns a :class:`resnet_lab.checks.Check`: "Correct: ..." or "Not yet: ..." with what
to fix; ``check.passed`` is a bool, so a notebook can ``assert`` it.

1. :func:`check_residual_unit`: your ``nn.Module`` class with ``residual_branch(x)`` (the F of the formula) and
   ``forward(x)``. The checker stacks four of your units and verifies ``x_{l+1} = x_l + F(x_l)`` and the
   gradient identity ``dE/dx_0 = dE/dx_L (I + d/dx_0 sum_i F(x_i))``, with each side computed separately.
2. :func:`check_scaled_shortcut_prediction`: your predicted gradient ratio for a stack with scaled shortcuts.
3. :func:`check_autocorrelation`: your implementation of the normalised autocorrelation r(k); then
   :func:`check_first_lag_below`: the first lag at which a gradient sequence's r(k) falls below a threshold.

The reference solutions are in :mod:`resnet_lab.lessons.gradient_flow.solutions`.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.autograd.functional import jacobian

from resnet_lab.checks import (Check, NotYet, as_number, as_tensor, call_learner, checker, describe,
                               largest_difference)
from resnet_lab.gradients import autocorrelation
from resnet_lab.lessons.gradient_flow.stacks import make_stack


def _build_units(unit_class, width, count):
    if not (isinstance(unit_class, type) and issubclass(unit_class, nn.Module)):
        raise NotYet(f"pass your unit's class (a subclass of nn.Module, called as unit_class(width)); "
                     f"got {describe(unit_class)}")
    torch.manual_seed(0)
    units = [call_learner(unit_class, width, what=f"{unit_class.__name__}(width)") for _ in range(count)]
    for unit in units:
        if not isinstance(unit, nn.Module):
            raise NotYet(f"{unit_class.__name__}(width) should build an nn.Module; got {describe(unit)}")
        if not callable(getattr(unit, "residual_branch", None)):
            raise NotYet(f"{unit_class.__name__} needs a method residual_branch(x) that returns F(x)")
        unit.double().eval()
    return units


def _gradient_gap(stack, x, width):
    """dE/dx_0 through the stack by autograd, and by the formula from each unit's branch Jacobian."""
    x0 = x[:1].clone().requires_grad_(True)
    states = [x0]
    for unit in stack:
        states.append(unit(states[-1]))
    energy = 0.5 * states[-1].pow(2).sum()
    grad_0, grad_L = torch.autograd.grad(energy, [x0, states[-1]])
    eye = torch.eye(width, dtype=torch.float64)
    branch_sum_jacobian, dx_i = torch.zeros(width, width, dtype=torch.float64), eye.clone()
    for i, unit in enumerate(stack):
        branch_j = jacobian(lambda v, unit=unit: unit.residual_branch(v[None])[0], states[i][0].detach())
        branch_sum_jacobian += branch_j @ dx_i
        dx_i = (eye + branch_j) @ dx_i
    return grad_0[0], grad_L[0] @ (eye + branch_sum_jacobian)


@checker
def check_residual_unit(unit_class, width: int = 8, units: int = 4, tolerance: float = 1e-9) -> Check:
    """Check a residual unit class: output x + F(x), and the unrolled gradient identity on a stack of them."""
    stack = _build_units(unit_class, width, units)
    if not any(p.requires_grad for p in stack[0].parameters()):
        return Check(False, "your unit has no trainable parameters: F(x) should contain weight layers "
                            "(e.g. two nn.Linear(width, width) with a ReLU between)")
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(5, width, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        y = call_learner(stack[0], x.clone(), what="forward(x)")
        branch = call_learner(stack[0].residual_branch, x.clone(), what="residual_branch(x)")
    y = as_tensor(y, x.shape, what="the output of forward(x)")
    branch = as_tensor(branch, x.shape, what="the output of residual_branch(x)")
    if float(branch.abs().max()) == 0:
        return Check(False, "residual_branch(x) returned zeros for a random x: F should depend on its weights")
    gap = largest_difference(y, x + branch)
    if gap > tolerance:
        return Check(False, f"forward(x) differs from x + residual_branch(x) by up to {gap:.3g}: a residual unit "
                            "returns x + F(x), with nothing applied after the sum (no ReLU, no scaling)")
    autograd, formula = call_learner(_gradient_gap, stack, x, width, what="differentiating through your units")
    gap = largest_difference(autograd, formula)
    if gap > tolerance * max(1.0, float(autograd.abs().max())):
        return Check(False, f"the gradient through your stack differs from dE/dx_L (I + d/dx_0 sum F) by "
                            f"{gap:.3g}; make sure forward uses residual_branch and adds the input unchanged")
    return Check(True, f"x_(l+1) = x_l + F(x_l) holds and, on a stack of {units} of your units, "
                       f"dE/dx_0 = dE/dx_L (I + d/dx_0 sum F) holds to float64 rounding (tolerance {tolerance:g})")


def scaled_shortcut_ratio(shortcut_scale: float, units: int) -> float:
    """||dE/dx_0|| / ||dE/dx_L|| measured on a stack of ``units`` units with F = 0 and shortcut ``lambda x``."""
    stack = make_stack(units, True, width=8, in_features=8, init_scale=0.0, shortcut_scale=shortcut_scale).double()
    x0 = torch.randn(4, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    h = x0
    for unit in stack.units:
        h = unit(h)
    grad_0, grad_L = torch.autograd.grad(stack.head(h).pow(2).sum(), [x0, h])
    return float(grad_0.norm() / grad_L.norm())


@checker
def check_scaled_shortcut_prediction(prediction, shortcut_scale: float = 0.9, units: int = 54) -> Check:
    """Your prediction of ||dE/dx_0|| / ||dE/dx_L|| for ``units`` units with shortcut ``lambda x`` and F = 0."""
    value = as_number(prediction, what="your prediction")
    measured = scaled_shortcut_ratio(shortcut_scale, units)
    if abs(value - measured) > 1e-6 * measured:
        return Check(False, f"{value:.4g} is not what a stack of {units} units with lambda = {shortcut_scale:g} "
                            "gives; each unit multiplies the gradient by lambda on its way back")
    return Check(True, f"lambda^L = {shortcut_scale:g}^{units} = {measured:.4g}, measured on a real stack")


@checker
def check_autocorrelation(function) -> Check:
    """Your ``function(values, k) -> r(k)``: the normalised autocorrelation at lag k."""
    rng = np.random.default_rng(0)
    sequences = {"white noise": rng.normal(size=64), "a random walk": np.cumsum(rng.normal(size=64)),
                 "a sine": np.sin(np.linspace(0, 6, 64))}
    for name, values in sequences.items():
        reference = autocorrelation(values, 10)
        for k in (0, 1, 5, 10):
            what = f"your function (on {name}, k={k})"
            got = as_number(call_learner(function, values.copy(), k, what=what), what=f"the value of {what}")
            if not abs(got - reference[k]) <= 1e-8:
                return Check(False, f"r({k}) of {name} should be {reference[k]:.4f}, yours gives {got:.4f}; "
                                    "subtract the mean, and divide by the lag-0 sum over all points")
    return Check(True, "r(k) matches the reference on white noise, a random walk and a sine")


@checker
def check_first_lag_below(lag, values, threshold: float = 0.5) -> Check:
    """``lag``: the smallest k >= 1 with r(k) < ``threshold`` for the sequence ``values`` (e.g. df/dx of section 5)."""
    answer = as_number(lag, what="`first_lag`", integer=True)
    values = np.asarray(values.detach().cpu() if torch.is_tensor(values) else values, dtype=float)
    r = autocorrelation(values, len(values) - 1)
    below = [k for k in range(1, len(r)) if r[k] < threshold]
    if not below:
        return Check(False, f"r(k) never falls below {threshold:g} for these values; pass the gradients of section 5")
    want = below[0]
    if answer == want:
        return Check(True, f"r({want}) = {r[want]:.3f} is the first value below {threshold:g} "
                           f"(r({want - 1}) = {r[want - 1]:.3f}).")
    if answer < 1 or answer >= len(r):
        return Check(False, f"a lag runs from 1 to {len(r) - 1}; got {answer}")
    if r[answer] < threshold:
        return Check(False, f"r({answer}) = {r[answer]:.3f} is below {threshold:g}, but an earlier lag already is: "
                            "look for the first k, counting up from k = 1")
    return Check(False, f"r({answer}) = {r[answer]:.3f} is not below {threshold:g} yet; count further")
