"""Checkers for notebook 06's exercises.

1. :func:`check_path_counts`: your ``path_counts(n)``, how many paths through n residual blocks pass through
   exactly k residual branches, for k = 0..n.
2. :func:`check_filter_normalise`: your ``filter_normalise(direction, weight)``, Li et al.'s filter normalisation of
   one parameter's random direction.

Each checker prints and returns a :class:`resnet_lab.checks.Check`; the reference solutions are in
:mod:`resnet_lab.lessons.paths.solutions`.
"""
from __future__ import annotations

import math
import numbers
import os

import torch

from resnet_lab.checks import Check, NotYet, as_tensor, call_learner, checker, describe, largest_difference


@checker
def check_path_counts(path_counts) -> Check:
    """``path_counts(n)`` must return the n + 1 whole numbers C(n, 0), ..., C(n, n), exactly (no floats), for n
    = 1, 2, 27, 54 and four more from 3 to 110 drawn anew at every call (so a table of answers fails)."""
    generator = torch.Generator().manual_seed(int.from_bytes(os.urandom(4), "little"))
    cases = [1, 2, 27, 54] + torch.randint(3, 111, (4,), generator=generator).tolist()
    for n in cases:
        want = [math.comb(n, k) for k in range(n + 1)]
        got = call_learner(path_counts, n, what=f"path_counts({n})")
        if torch.is_tensor(got):
            raise NotYet(f"path_counts({n}) returned a tensor; return a list of Python ints (a tensor of int64 "
                         f"overflows beyond C(62, 31), and float ones round)")
        if not isinstance(got, (list, tuple)):
            raise NotYet(f"path_counts({n}) returned {describe(got)}; return a list of n + 1 = {n + 1} counts")
        if len(got) == n:
            raise NotYet(f"path_counts({n}) has {n} entries; a path can take 0, 1, ..., {n} residual branches, "
                         f"so there are n + 1 = {n + 1} lengths")
        if len(got) != n + 1:
            raise NotYet(f"path_counts({n}) has {len(got)} entries; want n + 1 = {n + 1}, for k = 0..{n}")
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in got):
            kinds = sorted({type(v).__name__ for v in got})
            if all(isinstance(v, float) for v in got) and abs(sum(got) - 1) < 1e-6:
                raise NotYet(f"path_counts({n}) returned shares that sum to 1; count the paths instead: together "
                             f"they are all 2^{n} of them")
            raise NotYet(f"path_counts({n}) holds {', '.join(kinds)}; return whole numbers (int), exact at any n "
                         f"(hint: math.comb)")
        got = [int(v) for v in got]
        if got == want:
            continue
        if sum(got) != 2 ** n:
            raise NotYet(f"path_counts({n}) sums to {sum(got)}, but n blocks, each taken through its branch or its "
                         f"shortcut, give 2^{n} = {2 ** n} paths in all")
        wrong = next(k for k in range(n + 1) if got[k] != want[k])
        raise NotYet(f"path_counts({n})[{wrong}] is {got[wrong]}; the paths of length {wrong} choose which "
                     f"{wrong} of the {n} blocks to go through: C({n}, {wrong}) = {want[wrong]}")
    return Check(True, f"C(n, k) for n = {', '.join(map(str, cases))}: the path lengths of a residual net are "
                       "binomial, centred on n / 2.")


def _filter_norms(t: torch.Tensor) -> torch.Tensor:
    return t.flatten(1).norm(dim=1)


@checker
def check_filter_normalise(filter_normalise, rtol: float = 1e-4) -> Check:
    """``filter_normalise(direction, weight)`` must rescale each filter (each slice along dim 0) of ``direction``
    to the norm of the same filter of ``weight``, and return zeros for a one-dimensional parameter (a batch-norm
    scale or shift, a bias). Checked on random convolution, linear and batch-norm shapes."""
    generator = torch.Generator().manual_seed(16)
    shapes = [(8, 4, 3, 3), (16, 16, 3, 3), (10, 64), (32,), (6, 3, 1, 1)]
    for shape in shapes:
        weight = torch.randn(shape, generator=generator) * torch.rand(shape[0], *[1] * (len(shape) - 1),
                                                                      generator=generator) * 3
        direction = torch.randn(shape, generator=generator)
        what = f"filter_normalise(direction, weight) for a parameter of shape {list(shape)}"
        got = as_tensor(call_learner(filter_normalise, direction.clone(), weight.clone(), what=what), shape, what)
        if not torch.isfinite(got).all():
            raise NotYet(f"{what} holds NaN or inf values")
        if len(shape) == 1:
            if got.abs().max() > 0:
                raise NotYet(f"{what}: a one-dimensional parameter (batch-norm scale or shift, bias) gets a zero "
                             f"direction, as in the commands of Li et al.'s figures; you returned a non-zero vector")
            continue
        want = direction * (_filter_norms(weight) / _filter_norms(direction)).view(-1, *[1] * (len(shape) - 1))
        if largest_difference(got, want) <= rtol * want.abs().max():
            continue
        if largest_difference(got, weight) <= rtol * weight.abs().max():
            raise NotYet(f"{what}: you returned the weights themselves; keep the random direction and only change "
                         f"the length of each of its filters")
        layerwise = direction * weight.norm() / direction.norm()
        if largest_difference(got, layerwise) <= rtol * layerwise.abs().max():
            raise NotYet(f"{what}: you scaled the whole tensor at once (one norm for the layer); scale each filter "
                         f"(each slice direction[i]) by its own norm ratio, ||weight[i]|| / ||direction[i]||")
        if len(shape) > 2:
            per_input = direction * (weight.transpose(0, 1).flatten(1).norm(dim=1) /
                                     direction.transpose(0, 1).flatten(1).norm(dim=1)).view(1, -1, 1, 1)
            if largest_difference(got, per_input) <= rtol * per_input.abs().max():
                raise NotYet(f"{what}: you normalised along the input channels (dim 1); a filter is one output "
                             f"channel, the slice direction[i] along dim 0")
        cosine = torch.nn.functional.cosine_similarity(got.flatten(1), direction.flatten(1), dim=1)
        if (cosine < 1 - 1e-4).any():
            raise NotYet(f"{what}: filter {int((cosine < 1 - 1e-4).nonzero()[0])} no longer points along the "
                         f"random direction; multiply each filter by a positive number only")
        ratio = (_filter_norms(got) / _filter_norms(weight)).tolist()
        raise NotYet(f"{what}: each filter keeps its direction, but the norms are not those of the weights' filters "
                     f"(ratio of norms, filter by filter: {', '.join(f'{r:.3g}' for r in ratio[:4])}...)")
    return Check(True, "each filter of the direction now has the norm of the same filter of the weights, and the "
                       "one-dimensional parameters stay put: steps of alpha = 1 are comparable across layers and nets.")
