"""The residual formula, checked numerically.

1. Learning the residual: fit a map close to the identity (``x + 0.1 tanh(x)``: 5 -> 5.1) with a plain
   net ``H(x)``, with a residual net ``x + F(x)`` of the same layers, and, as a control, with the plain net
   initialised to compute the identity exactly (:func:`initialise_to_identity`, :func:`compare_near_identity_fits`).
2. Unrolling a residual stack (lambda = 1) (He et al. 2016, eqs. 4-5)::

       x_L = x_l + sum_{i=l}^{L-1} F(x_i, W_i)
       dE/dx_l = dE/dx_L (I + d/dx_l sum_{i=l}^{L-1} F(x_i, W_i))

   :func:`unrolled_sum_difference` and :func:`check_gradient_identity` compare each side, computed
   separately, on a real :class:`~.stacks.Stack`; the right-hand side of the gradient is built from
   each unit's own Jacobian, while the left-hand side is plain autograd through the whole stack. For a plain
   stack the same check uses ``dE/dx_l = dE/dx_L J_{L-1} ... J_l`` (a product of Jacobians, no identity term).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

import torch
from torch import nn
from torch.autograd.functional import jacobian

from resnet_lab.lessons.gradient_flow.stacks import Stack, one_thread


# ---------------------------------------------------------------- 1. learning the residual
def near_identity_target(x: torch.Tensor) -> torch.Tensor:
    """The map to learn: ``H(x) = x + 0.1 tanh(x)``, close to the identity (H(5) = 5.09999..., about 5.1)."""
    return x + 0.1 * torch.tanh(x)


class NearIdentityNet(nn.Module):
    """``units`` blocks of ``F(x) = W_2 relu(W_1 x + b_1) + b_2``; ``residual=True`` adds ``x`` to each."""

    def __init__(self, features: int = 8, hidden: int = 32, units: int = 3, residual: bool = True):
        super().__init__()
        self.residual = bool(residual)
        self.branches = nn.ModuleList(nn.Sequential(nn.Linear(features, hidden), nn.ReLU(),
                                                    nn.Linear(hidden, features)) for _ in range(units))

    def forward(self, x):
        for branch in self.branches:
            x = x + branch(x) if self.residual else branch(x)
        return x


def initialise_to_identity(net: NearIdentityNet) -> NearIdentityNet:
    """Make a plain :class:`NearIdentityNet` compute ``H(x) = x`` exactly; returns the net (changed in place).

    In every block, the first ``2 * features`` hidden units get ``W_1 = [I; -I]``, bias 0, and the output layer
    ``W_2 = [I, -I, 0, ...]``, bias 0, so the block computes ``relu(x) - relu(-x) = x``. The other hidden units keep
    their random input weights, with output weights 0: they contribute nothing at step 0 but still learn.
    """
    if not isinstance(net, NearIdentityNet) or net.residual:
        raise ValueError("initialise_to_identity expects a plain NearIdentityNet (residual=False)")
    with torch.no_grad():
        for branch in net.branches:
            first, last = branch[0], branch[2]
            features = last.out_features
            if first.out_features < 2 * features:
                raise ValueError(f"the identity needs at least {2 * features} hidden units per block "
                                 f"(relu(x) - relu(-x)), got {first.out_features}")
            eye = torch.eye(features)
            first.weight[:2 * features] = torch.cat([eye, -eye])
            first.bias[:2 * features] = 0.0
            last.weight.zero_()
            last.weight[:, :2 * features] = torch.cat([eye, -eye], dim=1)
            last.bias.zero_()
    return net


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 300, lr: float = 3e-3) -> List[float]:
    """Full-batch Adam on the mean squared error; returns the loss before every step (and after the last)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        losses.append(float(loss.detach()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        losses.append(float(nn.functional.mse_loss(model(x), y)))
    return losses


NEAR_IDENTITY_NETS = ("plain", "residual", "plain, identity init")


def compare_near_identity_fits(steps: int = 300, n: int = 512, features: int = 8, seed: int = 0,
                               **net_options) -> Dict[str, List[float]]:
    """Loss curves of three :class:`NearIdentityNet` fitted to :func:`near_identity_target`, by name:

    ``"plain"`` (H(x), random init), ``"residual"`` (x + F(x), the same random init) and ``"plain, identity init"``
    (the plain net after :func:`initialise_to_identity`: H(x) = x at step 0). All start from the same random
    weights (same seed; the control then overwrites some of them) and see the same data, x ~ N(0, 2^2).
    """
    generator = torch.Generator().manual_seed(seed)
    x = 2.0 * torch.randn(n, features, generator=generator)
    y = near_identity_target(x)
    curves = {}
    with one_thread():
        for name in NEAR_IDENTITY_NETS:
            torch.manual_seed(seed)
            net = NearIdentityNet(features, residual=name == "residual", **net_options)
            if name == "plain, identity init":
                initialise_to_identity(net)
            curves[name] = fit(net, x, y, steps)
    return curves


def steps_to_reach(losses: List[float], level: float):
    """The first step whose loss is at most ``level``, or None if it never gets there."""
    return next((i for i, v in enumerate(losses) if v <= level), None)


# ---------------------------------------------------------------- 2. unrolling
def _check_stack(stack, need_identity=True):
    if not isinstance(stack, Stack):
        raise TypeError(f"expected a Stack (from make_stack), got {type(stack).__name__}")
    if need_identity and not (stack.residual and stack.shortcut_scale == 1.0):
        raise ValueError("the unrolled sum x_L = x_l + sum F holds for residual stacks with identity shortcuts "
                         "(residual=True, shortcut_scale=1)")


def unrolled_sum_difference(stack: Stack, x: torch.Tensor, l: int = 0) -> float:
    """max |x_L - (x_l + sum_{i=l}^{L-1} F(x_i, W_i))| over the batch, F evaluated unit by unit."""
    _check_stack(stack)
    if not 0 <= l < stack.depth:
        raise ValueError(f"l must be a unit index between 0 and {stack.depth - 1}, got {l}")
    with torch.no_grad():
        states = stack.states(x)
        branch_sum = sum(stack.units[i].residual_branch(states[i]) for i in range(l, stack.depth))
        return float((states[-1] - (states[l] + branch_sum)).abs().max())


@dataclass
class GradientCheck:
    """dE/dx_l by autograd through the stack and by the formula; ``difference`` is the largest gap."""

    autograd: torch.Tensor
    formula: torch.Tensor
    direct_term: torch.Tensor   # dE/dx_L: the "1" of the formula (the whole gradient of a residual stack's shortcut)
    difference: float

    @property
    def relative_difference(self) -> float:
        return self.difference / float(self.autograd.abs().max())

    def __repr__(self) -> str:
        return (f"GradientCheck(|dE/dx_l| = {self.autograd.norm():.6g}, |dE/dx_L| = {self.direct_term.norm():.6g}, "
                f"max difference {self.difference:.2e})")


def unit_jacobians(stack: Stack, x: torch.Tensor):
    """For one input row ``x`` ([1, in_features]): the states ``x_0..x_L`` and each unit's Jacobian dx_{i+1}/dx_i."""
    _check_stack(stack, need_identity=False)
    if x.dim() != 2 or x.shape[0] != 1:
        raise ValueError(f"unit_jacobians works on one input row of shape [1, features], got {list(x.shape)}")
    if stack.batchnorm and stack.training:
        raise ValueError("BatchNorm in training mode mixes the rows of a batch; call stack.eval() first")
    with torch.no_grad():
        states = stack.states(x)
    jacobians = [jacobian(lambda v, unit=unit: unit(v[None])[0], states[i][0])
                 for i, unit in enumerate(stack.units)]
    return states, jacobians


def check_gradient_identity(stack: Stack, x: torch.Tensor, l: int = 0, target=None) -> GradientCheck:
    """Compare dE/dx_l from autograd with the formula built from each unit's Jacobian J_i = dx_{i+1}/dx_i.

    Residual (lambda = 1): ``dE/dx_L (I + d/dx_l sum_i F(x_i))``, where ``d/dx_l F(x_i) = J_F(x_i) dx_i/dx_l``
    and ``dx_i/dx_l = prod_{k=l}^{i-1} (I + J_F(x_k))``. Plain: ``dE/dx_L J_{L-1} ... J_l``. E is the squared
    error of the stack's output against ``target`` (zeros by default), for one input row ``x``.
    """
    _check_stack(stack, need_identity=stack.residual)
    if not 0 <= l < stack.depth:
        raise ValueError(f"l must be a unit index between 0 and {stack.depth - 1}, got {l}")
    states, unit_j = unit_jacobians(stack, x)
    x_l = states[l].detach().clone().requires_grad_(True)
    h = x_l
    outputs = [x_l]
    for unit in stack.units[l:]:
        h = unit(h)
        outputs.append(h)
    out = stack.head(h)
    target = torch.zeros_like(out) if target is None else target
    energy = 0.5 * (out - target).pow(2).sum()
    grad_l, grad_L = torch.autograd.grad(energy, [x_l, outputs[-1]])
    width = stack.width
    eye = torch.eye(width, dtype=grad_L.dtype)
    if stack.residual:
        branch_sum_jacobian = torch.zeros(width, width, dtype=grad_L.dtype)   # d/dx_l sum_i F(x_i)
        dx_i = eye.clone()                                                    # dx_i / dx_l
        for i in range(l, stack.depth):
            branch_jacobian = unit_j[i] - eye                                # J_F(x_i) = J_i - I
            branch_sum_jacobian += branch_jacobian @ dx_i
            dx_i = unit_j[i] @ dx_i
        formula = grad_L[0] @ (eye + branch_sum_jacobian)
    else:
        product = eye.clone()
        for i in range(l, stack.depth):
            product = unit_j[i] @ product                                    # J_{L-1} ... J_l
        formula = grad_L[0] @ product
    return GradientCheck(grad_l[0].detach(), formula.detach(), grad_L[0].detach(),
                         float((grad_l[0] - formula).abs().max()))


def end_to_end_jacobian(stack: Stack, x: torch.Tensor) -> torch.Tensor:
    """dx_L/dx_0 for one input row: the product of the units' Jacobians."""
    _, unit_j = unit_jacobians(stack, x)
    product = torch.eye(stack.width, dtype=unit_j[0].dtype)
    for j in unit_j:
        product = j @ product
    return product


def jacobian_summary(stack: Stack, x: torch.Tensor) -> Dict[str, float]:
    """Largest and smallest singular value and the numerical rank of dx_L/dx_0 (one input row)."""
    singular = torch.linalg.svdvals(end_to_end_jacobian(stack, x))
    top = float(singular[0])
    rank = int((singular > 1e-10 * top).sum()) if top > 0 else 0
    return {"largest": top, "smallest": float(singular[-1]), "rank": rank, "width": stack.width}
