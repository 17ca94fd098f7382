"""A 2D toy experiment (our setup): narrow plain nets vs one-neuron residual nets (Lin & Jegelka 2018).

Data: points of R^2 labelled +1 inside the unit disc (||z|| <= 1) and -1 in the ring 2 <= ||z|| <= 3,
each drawn uniformly by area. A net f: R^2 -> R predicts +1 where f(z) > 0; it is trained with the
logistic loss (1/n) sum_i log(1 + exp(-y_i f(z_i))).

Two families, differing only in what a hidden layer does to the state:

- plain: ``DenseLayer``, h -> ReLU(W h + b), every hidden layer ``width`` neurons wide;
- residual: ``ResidualBlock``, z -> z + V ReLU(U z + b), the state stays in R^2 and each block has
  ``width`` hidden neurons (one neuron: U is 1x2, V is 2x1).

Both end in a linear output f = w . h + c. :func:`train_nets` trains many small nets at once (their
weights stacked, one Adam step for all), which is what makes the experiment take seconds.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import torch
from torch import nn

INNER_RADIUS = 1.0          # label +1: ||z|| <= 1
RING = (2.0, 3.0)           # label -1: 2 <= ||z|| <= 3


# ----------------------------------------------------------------------------------------------- data
def _check_count(n, name="n"):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name} must be a positive whole number of points, got {n!r}")


def sample_annulus(n: int, r_min: float, r_max: float, generator: torch.Generator) -> torch.Tensor:
    """``n`` points uniform by area in {r_min <= ||z|| <= r_max} (r_min = 0: a disc), shape [n, 2].

    The area inside radius r grows like r^2, so r^2 is uniform on [r_min^2, r_max^2]; the angle is uniform.
    """
    _check_count(n)
    if not 0 <= r_min < r_max:
        raise ValueError(f"need 0 <= r_min < r_max, got r_min={r_min}, r_max={r_max}")
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    radius = torch.sqrt(r_min ** 2 + u * (r_max ** 2 - r_min ** 2))
    angle = 2 * math.pi * torch.rand(n, generator=generator, dtype=torch.float64)
    return torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1).float()


def sample_rings(n: int, seed: int = 0):
    """The toy data: ``n`` points, half in the unit disc (label +1), half in the ring 2..3 (label -1).

    Returns ``(points [n, 2] float32, labels [n] float32 of +1/-1)``, disc points first.
    """
    _check_count(n)
    if n < 2:
        raise ValueError("sample_rings needs n >= 2: one point per class at least")
    generator = torch.Generator().manual_seed(int(seed))
    inside = sample_annulus(n - n // 2, 0.0, INNER_RADIUS, generator)
    ring = sample_annulus(n // 2, RING[0], RING[1], generator)
    labels = torch.cat([torch.ones(len(inside)), -torch.ones(len(ring))])
    return torch.cat([inside, ring]), labels


# ----------------------------------------------------------------------------------------------- nets
def _init_linear(linear: nn.Linear, generator: torch.Generator) -> None:
    """PyTorch's default init for nn.Linear (uniform in +-1/sqrt(fan_in)), drawn from ``generator``."""
    bound = 1 / math.sqrt(linear.in_features)
    with torch.no_grad():
        linear.weight.uniform_(-bound, bound, generator=generator)
        if linear.bias is not None:
            linear.bias.uniform_(-bound, bound, generator=generator)


class DenseLayer(nn.Module):
    """A plain hidden layer: h -> ReLU(W h + b)."""

    def __init__(self, in_features: int, width: int):
        super().__init__()
        self.linear = nn.Linear(in_features, width)

    def preactivation(self, h):
        return self.linear(h)

    def combine(self, h, activation):
        return activation

    def forward(self, h):
        return self.combine(h, torch.relu(self.preactivation(h)))


class ResidualBlock(nn.Module):
    """A residual block on R^dim: z -> z + V ReLU(U z + b), with ``hidden`` neurons (U: hidden x dim, V: dim x hidden)."""

    def __init__(self, dim: int = 2, hidden: int = 1):
        super().__init__()
        self.U = nn.Linear(dim, hidden)               # weight U, bias b
        self.V = nn.Linear(hidden, dim, bias=False)   # weight V

    def preactivation(self, z):
        return self.U(z)

    def combine(self, z, activation):
        return z + self.V(activation)

    def forward(self, z):
        return self.combine(z, torch.relu(self.preactivation(z)))


def _check_size(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")


class ToyNet(nn.Module):
    """Hidden layers then a linear output; ``net(points [n, 2]) -> scores f [n]``, predict +1 where f > 0."""

    residual: bool

    def __init__(self, layers, out_features: int, seed: int):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.output = nn.Linear(out_features, 1)
        self.seed = int(seed)
        generator = torch.Generator().manual_seed(self.seed)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                _init_linear(module, generator)

    @property
    def depth(self) -> int:
        return len(self.layers)

    def forward(self, points):
        if not torch.is_tensor(points) or points.shape[-1] != 2:
            raise ValueError(f"a toy net takes points of shape [n, 2], got "
                             f"{tuple(points.shape) if torch.is_tensor(points) else type(points).__name__}")
        h = points
        for layer in self.layers:
            h = layer(h)
        return self.output(h).squeeze(-1)

    def predict(self, points):
        """Labels +1 where f > 0, else -1."""
        with torch.no_grad():
            return torch.where(self(points) > 0, 1.0, -1.0)


class PlainNet(ToyNet):
    """Fully connected ReLU net on R^2: ``depth`` hidden layers of ``width`` neurons, then a linear output."""

    residual = False

    def __init__(self, width: int = 2, depth: int = 1, seed: int = 0):
        _check_size(width, "width")
        _check_size(depth, "depth")
        self.width = width
        super().__init__([DenseLayer(2 if i == 0 else width, width) for i in range(depth)], width, seed)


class ResidualNet(ToyNet):
    """``depth`` residual blocks z -> z + V ReLU(U z + b) on R^2 (``width`` hidden neurons each), then a linear output."""

    residual = True

    def __init__(self, depth: int = 1, width: int = 1, seed: int = 0):
        _check_size(width, "width")
        _check_size(depth, "depth")
        self.width = width
        super().__init__([ResidualBlock(2, width) for _ in range(depth)], 2, seed)


def make_net(width: int, depth: int, residual: bool, seed: int = 0) -> ToyNet:
    """A plain net (hidden layers ``width`` wide) or a residual net (``width`` neurons per block)."""
    return ResidualNet(depth, width, seed) if residual else PlainNet(width, depth, seed)


def describe(net: ToyNet) -> str:
    """A short name such as ``plain w2 d5`` or ``residual w1 d3``."""
    return f"{'residual' if net.residual else 'plain'} w{net.width} d{net.depth}"


# ------------------------------------------------------------------------------------- loss, accuracy
def logistic_loss(scores, labels):
    """(1/n) sum_i log(1 + exp(-y_i f(z_i))) over the last dimension (softplus, stable for large |f|)."""
    return torch.nn.functional.softplus(-labels * scores).mean(-1)


def accuracy(net: ToyNet, points, labels) -> float:
    """Fraction of points whose label is predicted (sign of f, f = 0 counts as -1)."""
    return float((net.predict(points) == labels).float().mean())


def output_spread(net: ToyNet, points) -> float:
    """max f - min f over ``points``: 0 when the net outputs one constant on all of them (a "dead" net)."""
    with torch.no_grad():
        scores = net(points)
    return float(scores.max() - scores.min())


# ------------------------------------------------------------------------------ training, many at once
def _affine(weight, h, bias=None):
    """weight [S, out, in] applied to h [S, in, n] (+ bias [S, out]) -> [S, out, n]."""
    return torch.bmm(weight, h) if bias is None else torch.baddbmm(bias.unsqueeze(-1), weight, h)


class _Stack(nn.Module):
    """Nets of one family and width, deepest first, with their weights stacked along a leading net axis.

    Layer i is applied only to the first ``counts[i]`` nets (those deeper than i); the padding weights of the
    others get exactly zero gradient, so Adam leaves them at zero and each net follows the steps it would
    follow alone.
    """

    def __init__(self, nets: Sequence[ToyNet]):
        super().__init__()
        if any(a.depth < b.depth for a, b in zip(nets[:-1], nets[1:])):
            raise ValueError("stack the nets deepest first")
        self.nets = list(nets)
        self.residual = nets[0].residual
        depth = nets[0].depth
        self.counts = [sum(net.depth > i for net in nets) for i in range(depth)]
        self.weights = nn.ParameterList()
        self.names = []
        for i in range(depth):
            for name in self._layer_names():
                like = next(dict(net.layers[i].named_parameters())[name] for net in nets if net.depth > i)
                stacked = torch.stack([dict(net.layers[i].named_parameters())[name].detach() if net.depth > i
                                       else torch.zeros_like(like) for net in nets])
                self.weights.append(nn.Parameter(stacked.clone()))
                self.names.append((i, name))
        for name in ("weight", "bias"):
            self.weights.append(nn.Parameter(torch.stack([getattr(net.output, name).detach() for net in nets])))
            self.names.append((None, name))

    def _layer_names(self):
        return ("U.weight", "U.bias", "V.weight") if self.residual else ("linear.weight", "linear.bias")

    def forward(self, points):
        # layout [net, feature, point]: the long axis last makes the tiny matrix products fastest on a CPU
        h = points.T.expand(len(self.nets), *points.T.shape)
        per_layer = 3 if self.residual else 2
        for i, k in enumerate(self.counts):
            w = [p[:k] for p in self.weights[i * per_layer: (i + 1) * per_layer]]
            a = torch.relu(_affine(w[0], h[:k], w[1]))
            new = h[:k] + _affine(w[2], a) if self.residual else a
            h = new if k == len(self.nets) else torch.cat([new, h[k:]])
        return _affine(self.weights[-2], h, self.weights[-1]).squeeze(1)

    def write_back(self, nets=None):
        """Copy the stacked weights into the nets (or into copies such as snapshots)."""
        nets = self.nets if nets is None else nets
        with torch.no_grad():
            for k, net in enumerate(nets):
                for (i, name), stacked in zip(self.names, self.weights):
                    if i is None:
                        getattr(net.output, name).copy_(stacked[k])
                    elif i < net.depth:
                        dict(net.layers[i].named_parameters())[name].copy_(stacked[k])


@dataclass
class Training:
    """What :func:`train_nets` recorded: ``losses[step, k]`` is net k's training loss before step ``step``;
    ``snapshots[step]`` holds copies of every net after ``step`` Adam steps (when asked for)."""

    losses: torch.Tensor
    snapshots: Dict[int, List[ToyNet]] = field(default_factory=dict)


def train_nets(nets: Sequence[ToyNet], points, labels, steps: int = 3000, lr: float = 0.01,
               snapshot_every: Optional[int] = None, threads: Optional[int] = 1) -> Training:
    """Full-batch Adam on the logistic loss for every net in ``nets`` (trained in place, all at once).

    Nets of the same family and width are stacked and stepped together; the result equals training each
    net alone with ``torch.optim.Adam(net.parameters(), lr)`` up to float rounding. The tensors are small,
    so one CPU thread (``threads``; None: torch's setting) is fastest, and gives the same numbers on any machine.
    """
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    try:
        return _train_nets(list(nets), points, labels, steps, lr, snapshot_every)
    finally:
        torch.set_num_threads(previous)


def _train_nets(nets, points, labels, steps, lr, snapshot_every) -> Training:
    if not nets or not all(isinstance(net, ToyNet) for net in nets):
        raise TypeError("train_nets wants a non-empty list of toy nets (PlainNet / ResidualNet)")
    _check_size(steps, "steps")
    if snapshot_every is not None:
        _check_size(snapshot_every, "snapshot_every")
    groups: Dict[tuple, List[int]] = {}
    for k, net in enumerate(nets):
        groups.setdefault((net.residual, net.width), []).append(k)
    groups = {key: sorted(members, key=lambda k: -nets[k].depth) for key, members in groups.items()}
    losses = torch.empty(steps, len(nets))
    snapshots: Dict[int, List[ToyNet]] = {}
    for members in groups.values():
        stack = _Stack([nets[k] for k in members])
        optimizer = torch.optim.Adam(stack.parameters(), lr=lr, foreach=True)

        def snapshot(step):
            copies = [copy.deepcopy(nets[k]) for k in members]
            stack.write_back(copies)
            for k, net in zip(members, copies):
                snapshots.setdefault(step, [None] * len(nets))[k] = net

        if snapshot_every:
            snapshot(0)
        for step in range(steps):
            optimizer.zero_grad(set_to_none=True)
            loss = logistic_loss(stack(points), labels)
            loss.sum().backward()
            optimizer.step()
            losses[step, members] = loss.detach()
            if snapshot_every and ((step + 1) % snapshot_every == 0 or step + 1 == steps):
                snapshot(step + 1)
        stack.write_back()
    return Training(losses, snapshots)


# ------------------------------------------------------------------------------------------ experiment
def model_name(residual: bool, width: int) -> str:
    """``plain, width 2`` or ``residual, 1 neuron`` (neurons per block)."""
    if residual:
        return f"residual, {width} neuron{'s' if width > 1 else ''}"
    return f"plain, width {width}"


@dataclass(eq=False)
class Run:
    """One trained net of the experiment and its accuracies (fractions) and final training loss (hashable by identity)."""

    net: ToyNet
    seed: int
    train_accuracy: float
    test_accuracy: float
    final_loss: float

    @property
    def model(self) -> str:
        return model_name(self.net.residual, self.net.width)

    @property
    def depth(self) -> int:
        return self.net.depth

    @property
    def residual(self) -> bool:
        return self.net.residual


@dataclass
class Experiment:
    """Every :class:`Run`, the data they were trained and tested on, and the training time in seconds."""

    runs: List[Run]
    points: torch.Tensor
    labels: torch.Tensor
    test_points: torch.Tensor
    test_labels: torch.Tensor
    seconds: float
    losses: torch.Tensor

    def select(self, model=None, depth=None, seed=None) -> List[Run]:
        """The runs matching every argument given (``model`` as in :func:`model_name`)."""
        return [r for r in self.runs if (model is None or r.model == model) and (depth is None or r.depth == depth)
                and (seed is None or r.seed == seed)]

    def mean_and_error(self, model, depth):
        """Mean test accuracy over the seeds and its standard error (sample std / sqrt(number of seeds)), fractions."""
        acc = torch.tensor([r.test_accuracy for r in self.select(model, depth)], dtype=torch.float64)
        if len(acc) == 0:
            raise ValueError(f"no runs of {model!r} at depth {depth}")
        return float(acc.mean()), (float(acc.std() / math.sqrt(len(acc))) if len(acc) > 1 else 0.0)

    def accuracy_table(self, threshold: float = 0.99) -> str:
        """Test accuracy over seeds, one line per model and depth: mean, standard deviation, standard error of the
        mean (s.e. = std / sqrt(seeds)), min, max."""
        lines = [f"{'model':<22}{'depth':>5}{'mean %':>9}{'std':>7}{'s.e.':>7}{'min %':>8}{'max %':>8}"
                 f"   seeds >= {100 * threshold:g}%"]
        keys = list(dict.fromkeys((r.model, r.depth) for r in self.runs))
        for model, depth in keys:
            acc = torch.tensor([r.test_accuracy for r in self.select(model, depth)], dtype=torch.float64) * 100
            std = float(acc.std()) if len(acc) > 1 else 0.0
            error = 100 * self.mean_and_error(model, depth)[1]
            lines.append(f"{model:<22}{depth:>5}{float(acc.mean()):>9.1f}{std:>7.1f}{error:>7.1f}"
                         f"{float(acc.min()):>8.1f}{float(acc.max()):>8.1f}"
                         f"   {int((acc >= 100 * threshold).sum())} of {len(acc)}")
        return "\n".join(lines)


    def summary_table(self) -> str:
        """Mean +- standard deviation of the test accuracy (%) over seeds: one row per model, one column per depth."""
        models = list(dict.fromkeys(r.model for r in self.runs))
        depths = sorted({r.depth for r in self.runs})
        lines = [f"{'test accuracy %':<22}" + "".join(f"{'depth ' + str(d):>14}" for d in depths)]
        for model in models:
            cells = []
            for d in depths:
                acc = torch.tensor([r.test_accuracy for r in self.select(model, d)], dtype=torch.float64) * 100
                std = float(acc.std()) if len(acc) > 1 else 0.0
                cells.append(f"{float(acc.mean()):>7.1f} +-{std:>4.1f}" if len(acc) else f"{'-':>14}")
            lines.append(f"{model:<22}" + "".join(f"{c:>14}" for c in cells))
        return "\n".join(lines)


def run_experiment(models=((False, 2), (True, 1)), depths=range(1, 6), seeds=range(5), n_train: int = 1000,
                   n_test: int = 10_000, steps: int = 3000, lr: float = 0.01, data_seed: int = 0) -> Experiment:
    """Train every (residual?, width) in ``models`` at every depth and seed on the same data; test on fresh points.

    The seed sets the initial weights only: all nets see the same ``n_train`` training points
    (``sample_rings(n_train, data_seed)``) and are tested on ``n_test`` new ones (seed ``data_seed + 1``).
    """
    points, labels = sample_rings(n_train, data_seed)
    test_points, test_labels = sample_rings(n_test, data_seed + 1)
    nets = [make_net(width, depth, residual, seed) for residual, width in models for depth in depths
            for seed in seeds]
    start = time.perf_counter()
    training = train_nets(nets, points, labels, steps=steps, lr=lr)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        final = [float(logistic_loss(net(points), labels)) for net in nets]
    runs = [Run(net, net.seed, accuracy(net, points, labels), accuracy(net, test_points, test_labels), loss)
            for net, loss in zip(nets, final)]
    return Experiment(runs, points, labels, test_points, test_labels, seconds, training.losses)
