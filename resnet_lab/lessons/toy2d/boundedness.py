"""Is a toy net's positive region {z : f(z) > 0} bounded? Exact checks, not samples.

A toy net f (:mod:`~resnet_lab.lessons.toy2d.nets`) is built of affine maps and ReLUs: it is piecewise linear.

1. **Linear pieces.** Cut a square [-R, R]^2 along every line where some ReLU's input changes sign, layer
   by layer. On each of the resulting convex polygons every neuron keeps its on/off state, so f is one
   affine function there (:func:`linear_pieces`). The positive area inside the square, and whether f is
   positive anywhere in it, follow exactly (:func:`positive_area`): no thin sliver can hide between samples.
2. **Far field.** f_inf(z) = lim f(t z) / t (t -> infinity) is the same net with every bias set to zero
   (:func:`far_field_net`), and |f(z) - f_inf(z)| <= B for all z, where B is the net with every weight and
   bias replaced by its absolute value, evaluated at z = 0 (:func:`bias_bound`): |ReLU(u + b) - ReLU(u)| <= |b|,
   layer by layer.
3. **Proof beyond any square.** f_inf(t z) = t f_inf(z), so its sign in every direction is read off the
   boundary of [-1, 1]^2; let M be its largest value there (exact, from 1.). If M > 0, then along the best
   direction u, f(t u) >= t M - B > 0 for t > B / M: {f > 0} is unbounded. If M < 0, f(z) <= -|M| r + B < 0
   once r = max(|z_1|, |z_2|) > B / |M|: {f > 0} lies inside that square.

Beise, Dias Da Cruz & Schroeder 2018 (arXiv:1807.01194) prove that when every hidden layer is at most as wide
as the input (2 here), every connected component of a decision region is unbounded, for ReLU too: {f > 0} is
empty or unbounded. So for such nets M < 0 cannot happen (M < 0 would make {f + c > 0} bounded and nonempty for
a large enough output bias c). Lin & Jegelka 2018 (arXiv:1806.10909) prove a positive counterpart: one-neuron
residual nets approximate any integrable function on R^d (in the L1 norm, as far as notebook 03 could verify).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from resnet_lab.lessons.toy2d.nets import DenseLayer, ResidualBlock, ToyNet

SQUARES = (3.0, 30.0, 300.0, 3_000.0, 30_000.0)   # half-sides of the squares checked exactly


def _checked(net) -> ToyNet:
    if not isinstance(net, ToyNet):
        raise TypeError(f"expected a toy net (PlainNet / ResidualNet from resnet_lab.lessons.toy2d), "
                        f"got {type(net).__name__}")
    return net


def _numpy(linear):
    weight = linear.weight.detach().double().numpy()
    bias = np.zeros(weight.shape[0]) if linear.bias is None else linear.bias.detach().double().numpy()
    return weight, bias


def far_field_net(net: ToyNet) -> ToyNet:
    """f_inf: a copy of the net with every bias set to zero, so that f_inf(z) = lim f(t z) / t."""
    far = copy.deepcopy(_checked(net)).double()
    with torch.no_grad():
        for name, p in far.named_parameters():
            if name.endswith("bias"):
                p.zero_()
    return far


def bias_bound(net: ToyNet) -> float:
    """B with |f(z) - f_inf(z)| <= B for every z: the net with every weight and bias replaced by its absolute
    value, evaluated at z = 0."""
    positive = copy.deepcopy(_checked(net)).double()
    with torch.no_grad():
        for p in positive.parameters():
            p.abs_()
        return float(positive(torch.zeros(1, 2, dtype=torch.float64))[0])


# ------------------------------------------------------------------------------------------ linear pieces
def _area(polygon) -> float:
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _clip(polygon, a, d):
    """The part of a convex polygon where a . x + d >= 0 (Sutherland-Hodgman against one half-plane)."""
    values = polygon @ a + d
    out = []
    for i in range(len(polygon)):
        j = (i + 1) % len(polygon)
        if values[i] >= 0:
            out.append(polygon[i])
        if (values[i] > 0 > values[j]) or (values[i] < 0 < values[j]):
            t = values[i] / (values[i] - values[j])
            out.append(polygon[i] + t * (polygon[j] - polygon[i]))
    return np.array(out) if len(out) >= 3 else None


@dataclass
class Piece:
    """A convex polygon (vertices [k, 2], in order) on which f(z) = weight . z + bias."""

    polygon: np.ndarray
    weight: np.ndarray
    bias: float


def linear_pieces(net: ToyNet, half_side: float) -> List[Piece]:
    """Cut [-half_side, half_side]^2 into convex polygons on which the net is affine (exact, float64)."""
    if not half_side > 0:
        raise ValueError(f"half_side must be > 0, got {half_side!r}")
    r = float(half_side)
    min_area = 1e-13 * r * r
    square = np.array([[-r, -r], [r, -r], [r, r], [-r, r]])
    cells = [(square, np.eye(2), np.zeros(2))]        # state h = A z + c on the cell
    for layer in _checked(net).layers:
        if isinstance(layer, ResidualBlock):
            W, b = _numpy(layer.U)
            V, _ = _numpy(layer.V)
        elif isinstance(layer, DenseLayer):
            W, b = _numpy(layer.linear)
        else:
            raise TypeError(f"unknown layer type {type(layer).__name__}")
        new_cells = []
        for polygon, A, c in cells:
            pre_A, pre_c = W @ A, W @ c + b            # preactivation = pre_A z + pre_c on this cell
            parts = [(polygon, np.ones(len(b)))]
            for j in range(len(b)):
                split = []
                for poly, on in parts:
                    values = poly @ pre_A[j] + pre_c[j]
                    if (values >= 0).all() or (values <= 0).all():   # not cut: one state on the whole cell
                        state = on.copy()
                        state[j] = float((values >= 0).all())
                        split.append((poly, state))
                        continue
                    for sign in (1.0, -1.0):
                        piece = _clip(poly, sign * pre_A[j], sign * pre_c[j])
                        if piece is not None and _area(piece) > min_area:
                            state = on.copy()
                            state[j] = 1.0 if sign > 0 else 0.0
                            split.append((piece, state))
                parts = split
            for poly, on in parts:
                D = np.diag(on)
                if isinstance(layer, ResidualBlock):
                    new_cells.append((poly, A + V @ D @ pre_A, c + V @ D @ pre_c))
                else:
                    new_cells.append((poly, D @ pre_A, D @ pre_c))
        cells = new_cells
    w, c0 = _numpy(net.output)
    return [Piece(poly, (w @ A)[0], float((w @ c + c0)[0])) for poly, A, c in cells]


def positive_parts(net: ToyNet, half_side: float) -> List[np.ndarray]:
    """The convex polygons that make up the closure of {f > 0} inside [-half_side, half_side]^2 (exact)."""
    parts = (_clip(piece.polygon, piece.weight, piece.bias) for piece in linear_pieces(net, half_side))
    return [part for part in parts if part is not None and _area(part) > 0]


def positive_area(net: ToyNet, half_side: float) -> float:
    """Exact area of {f > 0} inside [-half_side, half_side]^2."""
    return float(sum(_area(part) for part in positive_parts(net, half_side)))


def positive_extent(net: ToyNet, half_side: float) -> float:
    """The smallest r with {f > 0} inside [-half_side, half_side]^2 contained in [-r, r]^2 (0: none; exact).

    ``positive_extent(net, R) == R`` means the positive region reaches the edge of the square.
    """
    parts = positive_parts(net, half_side)
    return max((float(np.abs(part).max()) for part in parts), default=0.0)


def max_on_square_boundary(net: ToyNet, half_side: float = 1.0) -> Tuple[float, np.ndarray]:
    """The largest value of f on the boundary of [-half_side, half_side]^2 and where (exact: f is affine on
    each piece, so its maximum along the boundary is at a vertex of a piece)."""
    best, where = -math.inf, None
    for piece in linear_pieces(net, half_side):
        values = piece.polygon @ piece.weight + piece.bias
        on_boundary = np.abs(piece.polygon).max(axis=1) >= half_side * (1 - 1e-12)
        if on_boundary.any():
            k = int(np.argmax(np.where(on_boundary, values, -np.inf)))
            if values[k] > best:
                best, where = float(values[k]), piece.polygon[k]
    return best, where


def positive_fraction_on_circles(net: ToyNet, radii: Sequence[float] = (10, 100, 1000), rays: int = 3600):
    """Sampled (for intuition): the fraction of ``rays`` evenly spaced directions u with f(r u) > 0, per radius r."""
    angle = torch.arange(rays, dtype=torch.float64) * (2 * math.pi / rays)
    u = torch.stack([torch.cos(angle), torch.sin(angle)], 1)
    net = copy.deepcopy(_checked(net)).double()
    with torch.no_grad():
        return [float((net(r * u) > 0).double().mean()) for r in radii]


# --------------------------------------------------------------------------------------------- verdict
@dataclass
class Region:
    """What :func:`analyse_region` found about {f > 0}.

    ``verdict``: ``"empty"``, ``"bounded"`` (nonempty), ``"unbounded"`` or ``"undecided"``.
    ``proved``: True when the far-field argument (M != 0) settles it for the whole plane. False when it
    rests on the exact pieces inside the squares of half-side ``SQUARES`` only: then "empty" means no
    positive point inside the largest square, "bounded" that the positive points inside the largest square
    all lie within [-r, r]^2 with r = ``extents[-1]`` well inside it, and "unbounded" that the positive
    region reaches the edge of every square. ``far_max`` is M, ``bias_bound`` B, ``radius`` the proved
    half-side B/|M| (bounded) or the distance beyond which a ray stays positive (unbounded); ``areas`` and
    ``extents`` are :func:`positive_area` and :func:`positive_extent` for each square.
    """

    verdict: str
    proved: bool
    far_max: float
    bias_bound: float
    radius: Optional[float]
    areas: Tuple[float, ...]
    extents: Tuple[float, ...]
    squares: Tuple[float, ...] = SQUARES

    def __str__(self) -> str:
        if self.proved:
            extra = f" inside max(|z1|,|z2|) <= {self.radius:.3g}" if self.verdict == "bounded" else ""
            return f"{self.verdict} (proved{extra})"
        edge = f"{self.squares[-1]:g}"
        if self.verdict == "empty":
            return f"empty (exact: no positive point with max(|z1|,|z2|) <= {edge})"
        if self.verdict == "unbounded":
            return f"unbounded (exact: reaches the edge of every square up to max(|z1|,|z2|) = {edge})"
        if self.verdict == "bounded":
            return f"bounded (exact: inside max(|z1|,|z2|) <= {self.extents[-1]:.3g}, checked out to {edge})"
        return f"undecided (checked out to max(|z1|,|z2|) = {edge})"


def analyse_region(net: ToyNet, squares: Sequence[float] = SQUARES) -> Region:
    """Empty, bounded or unbounded: the far-field proof when M != 0, else the exact pieces in ``squares``."""
    squares = tuple(float(r) for r in squares)
    far_max, _ = max_on_square_boundary(far_field_net(net), 1.0)
    bound = bias_bound(net)
    areas, extents = [], []
    for r in squares:
        parts = positive_parts(net, r)
        areas.append(float(sum(_area(p) for p in parts)))
        extents.append(max((float(np.abs(p).max()) for p in parts), default=0.0))
    facts = dict(far_max=far_max, bias_bound=bound, areas=tuple(areas), extents=tuple(extents), squares=squares)
    tolerance = 1e-9 * max(1.0, bias_bound(far_field_net(net)))
    if far_max > tolerance:
        return Region("unbounded", True, radius=bound / far_max, **facts)
    if far_max < -tolerance:
        radius = bound / -far_max
        inside = positive_area(net, radius) if radius > 0 else 0.0
        return Region("bounded" if inside > 0 else "empty", True, radius=radius, **facts)
    if areas[-1] == 0:
        return Region("empty", False, radius=None, **facts)
    if all(e >= r * (1 - 1e-9) for e, r in zip(extents, squares)):
        return Region("unbounded", False, radius=None, **facts)
    if extents[-1] <= squares[-1] / 10:
        return Region("bounded", False, radius=None, **facts)
    return Region("undecided", False, radius=None, **facts)


def region_table(runs, regions) -> str:
    """How many nets of each model and depth have an empty, bounded or unbounded positive region, and how many
    of those verdicts the far-field argument proves for the whole plane (``proved`` columns, by verdict).

    ``runs``: :class:`~resnet_lab.lessons.toy2d.nets.Run` objects; ``regions``: the matching :class:`Region`
    objects.
    """
    verdicts = ("empty", "bounded", "unbounded", "undecided")
    proved = ("bounded", "unbounded", "empty")
    counts = {}
    for run, region in zip(runs, regions):
        row = counts.setdefault((run.model, run.depth), {**{v: 0 for v in verdicts},
                                                         **{"proved " + v: 0 for v in proved}})
        row[region.verdict] += 1
        if region.proved:
            row["proved " + region.verdict] += 1
    lines = [f"{'model':<22}{'depth':>5}{'empty':>7}{'bounded':>9}{'unbounded':>11}{'undecided':>11}"
             f"   proved: bounded  unbounded  empty"]
    for (model, depth), row in counts.items():
        lines.append(f"{model:<22}{depth:>5}{row['empty']:>7}{row['bounded']:>9}{row['unbounded']:>11}"
                     f"{row['undecided']:>11}{row['proved bounded']:>18}{row['proved unbounded']:>11}"
                     f"{row['proved empty']:>7}")
    return "\n".join(lines)
