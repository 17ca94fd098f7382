"""Small fully-connected stacks, plain or residual, for looking at gradient flow in milliseconds.

A unit has one weight layer, in the pre-activation order of He et al. 2016 ("Identity Mappings"):

    F(x_l) = W_l relu(BN(x_l) + b_l)                (BN optional; the bias b_l only when ``bias_std > 0``)
    plain:     x_{l+1} = F(x_l)
    residual:  x_{l+1} = lambda * x_l + F(x_l)     (lambda = ``shortcut_scale``, 1 for ResNets)

so a residual stack is exactly the unrolled sum of the notebook, ``x_L = x_0 + sum_l F(x_l)`` when lambda is 1,
and a plain stack with the same weights differs only in the missing shortcut. The weights are drawn from
N(0, init_scale^2 * 2 / width): ``init_scale=1`` is He et al.'s ("Delving deep") initialisation, which keeps
the signal's size through a plain ReLU stack. ``bias_std > 0`` adds a bias ``b_l ~ N(0, bias_std^2)`` before each
ReLU (after BN, which would remove any bias placed before it), so each unit's kinks sit at different inputs; the
biases are drawn after all weights, so a stack's weights do not depend on ``bias_std``.
"""
from __future__ import annotations

import contextlib
import math
from typing import List

import torch
from torch import nn


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")


def _check_positive_float(name, value, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a positive number, got {value!r}")


class StackUnit(nn.Module):
    """One unit: ``F(x) = W relu(BN(x) + b)``; output ``F(x)`` (plain) or ``shortcut_scale * x + F(x)`` (residual).

    The bias ``b`` exists only with ``bias=True`` (it starts at zero; :class:`Stack` draws it).
    """

    def __init__(self, width: int, residual: bool = True, batchnorm: bool = False, init_scale: float = 1.0,
                 shortcut_scale: float = 1.0, bias: bool = False):
        super().__init__()
        _check_positive_int("width", width)
        _check_positive_float("init_scale", init_scale, allow_zero=True)
        _check_positive_float("shortcut_scale", shortcut_scale, allow_zero=True)
        self.residual, self.shortcut_scale = bool(residual), float(shortcut_scale)
        self.norm = nn.BatchNorm1d(width) if batchnorm else nn.Identity()
        self.bias = nn.Parameter(torch.zeros(width)) if bias else None
        self.relu = nn.ReLU()
        self.linear = nn.Linear(width, width, bias=False)
        nn.init.normal_(self.linear.weight, std=init_scale * math.sqrt(2.0 / width))

    def residual_branch(self, x: torch.Tensor) -> torch.Tensor:
        """F(x_l, W_l) = W_l relu(BN(x_l) + b_l)."""
        h = self.norm(x)
        return self.linear(self.relu(h if self.bias is None else h + self.bias))

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        """lambda * x_l (the identity when ``shortcut_scale`` is 1)."""
        return x if self.shortcut_scale == 1.0 else self.shortcut_scale * x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.residual_branch(x)
        return out + self.shortcut(x) if self.residual else out

    def extra_repr(self) -> str:
        kind = f"residual, lambda={self.shortcut_scale:g}" if self.residual else "plain"
        return kind


class Stack(nn.Module):
    """``in_features -> width`` (input layer), ``depth`` units, ``width -> out_features`` (head).

    ``stack.states(x)`` returns ``[x_0, x_1, ..., x_L]``, the input of every unit and the last output, which is
    what the unrolled formula talks about. Every option of the gradient explorer is an argument here.
    """

    def __init__(self, depth: int, width: int = 64, in_features: int = 16, out_features: int = 1,
                 residual: bool = True, batchnorm: bool = False, init_scale: float = 1.0,
                 shortcut_scale: float = 1.0, bias_std: float = 0.0):
        super().__init__()
        for name, value in (("depth", depth), ("width", width), ("in_features", in_features),
                            ("out_features", out_features)):
            _check_positive_int(name, value)
        _check_positive_float("bias_std", bias_std, allow_zero=True)
        self.depth, self.width, self.residual = depth, width, bool(residual)
        self.batchnorm, self.init_scale, self.shortcut_scale = bool(batchnorm), init_scale, shortcut_scale
        self.bias_std = float(bias_std)
        self.input_layer = nn.Linear(in_features, width, bias=False)
        nn.init.normal_(self.input_layer.weight, std=math.sqrt(1.0 / in_features))
        self.units = nn.ModuleList(StackUnit(width, residual, batchnorm, init_scale, shortcut_scale,
                                             bias=self.bias_std > 0) for _ in range(depth))
        self.head = nn.Linear(width, out_features, bias=False)
        nn.init.normal_(self.head.weight, std=math.sqrt(1.0 / width))
        if self.bias_std > 0:   # drawn last, so the weights are those of the same stack without biases
            with torch.no_grad():
                for unit in self.units:
                    unit.bias.normal_(0.0, self.bias_std)

    def _check(self, x):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"expected a torch.Tensor of shape [N, {self.input_layer.in_features}], "
                            f"got {type(x).__name__}")
        if x.dim() != 2 or x.shape[1] != self.input_layer.in_features:
            raise ValueError(f"expected a batch of shape [N, {self.input_layer.in_features}], got {list(x.shape)}"
                             + ("; add a feature dimension with x.unsqueeze(1)" if x.dim() == 1 else ""))

    def states(self, x: torch.Tensor) -> List[torch.Tensor]:
        """``[x_0, ..., x_L]``: the input layer's output, then the output of every unit."""
        self._check(x)
        states = [self.input_layer(x)]
        for unit in self.units:
            states.append(unit(states[-1]))
        return states

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.states(x)[-1])

    def extra_repr(self) -> str:
        kind = "residual" if self.residual else "plain"
        return (f"depth={self.depth}, width={self.width}, {kind}, batchnorm={self.batchnorm}, "
                f"init_scale={self.init_scale:g}, shortcut_scale={self.shortcut_scale:g}"
                + (f", bias_std={self.bias_std:g}" if self.bias_std else ""))


def make_stack(depth: int, residual: bool = True, *, seed: int = 0, **options) -> Stack:
    """A :class:`Stack` whose weights depend only on ``seed`` (plain and residual get the same weights)."""
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        return Stack(depth, residual=residual, **options)
    finally:
        torch.random.set_rng_state(generator_state)


@contextlib.contextmanager
def one_thread():
    """Run small-matrix work on one CPU thread (faster for tiny layers; thread hand-offs cost more than they save)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
