"""Notebook 06's experiments: lesion studies and paths (Veit et al. 2016), loss landscapes (Li et al. 2018).

Everything here works on a trained CIFAR net of :mod:`resnet_lab.models.cifar` (``resnet56``, ``plain56``):

- :func:`trained_nets` loads the committed weights (``python -m resnet_lab runs weights``), or trains the nets at the
  classroom scale when the files are missing, and says which;
- :func:`lesioned` deletes or reorders blocks; :func:`single_deletions`, :func:`random_deletions` and
  :func:`neighbour_swaps` measure the error of the results;
- :func:`path_length_counts` and :func:`path_gradients` count the paths through n blocks and sample the gradient
  that reaches the first block through paths of each length;
- :func:`random_direction` (filter-normalised), :func:`loss_slice` and :func:`loss_grid` draw the loss landscape,
  and :func:`nonconvex_fraction` reads how smooth it is;
- :func:`measure` computes all of it for one seed; ``python -m resnet_lab measure paths`` commits the result.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from resnet_lab.config import get_scale
from resnet_lab.data import normalize
from resnet_lab.models.blocks import ZeroPadShortcut
from resnet_lab.runs import (GROUPS, load_committed, load_committed_model, load_trained_model, results_dir,
                             split_for_scale, train_or_load_many)
from resnet_lab.training import evaluate
from resnet_lab.training.history import save_json

GROUP = "weights"
NETS = ("resnet56", "plain56")
FALLBACK_SCALE = "classroom"
LESION_PER_CLASS = 100        # our choice: the lesions are measured on 1,000 images of the evaluation split
LANDSCAPE_PER_CLASS = 100     # our choice: the landscape on 1,000 training images (Li et al. use the whole set)
K_MAX = 20                    # random deletions of k = 1..K_MAX blocks (as the issue asks; Veit et al. go further)
MEASURE_FILE = "measurements-seed{seed}.json"
# the sizes of the committed measurements (our choices, set by the time they take: README, "Committed runs")
GRID_POINTS, SLICE_POINTS = 13, 21   # a 13 x 13 grid and a 21-point slice over [-1, 1] (Li et al.: 51 x 51)
DRAWS = 3                            # random draws of k deleted blocks, for each k
PATH_SAMPLES, PATH_IMAGES = 4, 50    # sampled paths per length, and the images each one is measured on


# ------------------------------------------------------------------ the trained nets

@dataclass
class TrainedNets:
    """The trained nets of notebook 06, the data they were trained and evaluated on, and where they came from."""

    models: Dict[str, nn.Module]
    scale: str
    seed: int
    source: str
    committed: bool

    def __repr__(self) -> str:
        return f"TrainedNets({', '.join(self.models)}; {self.scale} scale, seed {self.seed}; {self.source})"


def trained_nets(data, seed: int = 0, nets: Sequence[str] = NETS) -> TrainedNets:
    """The committed weights of ``nets`` for ``seed`` (``python -m resnet_lab runs weights``); if any file is missing,
    the nets trained at the classroom scale (cached under ``runs/``; minutes on a CPU). Says which it used."""
    committed = {m: load_committed_model(GROUP, m, seed) for m in nets}
    if all(model is not None for model in committed.values()):
        scale = get_scale(GROUPS[GROUP].scale).name
        return TrainedNets(committed, scale, seed, f"committed weights ({GROUPS[GROUP].command})", True)
    missing = [m for m, model in committed.items() if model is None]
    print(f"The committed weights of {', '.join(missing)} (seed {seed}) are missing, so these nets are trained here "
          f"at the {FALLBACK_SCALE} scale (cached in runs/); expect weaker nets than the committed ones.")
    train_or_load_many(list(nets), data, FALLBACK_SCALE, seed)
    models = {m: load_trained_model(m, data, FALLBACK_SCALE, seed) for m in nets}
    return TrainedNets(models, FALLBACK_SCALE, seed, f"trained here at the {FALLBACK_SCALE} scale", False)


def evaluation_images(data, nets: TrainedNets, per_class: int = LESION_PER_CLASS):
    """``per_class`` images of each class from the evaluation split the nets were evaluated on while training."""
    _, eval_set, _ = split_for_scale(data, get_scale(nets.scale), nets.seed)
    return eval_set.subset(per_class, seed=0)


def landscape_images(data, nets: TrainedNets, per_class: int = LANDSCAPE_PER_CLASS):
    """``per_class`` images of each class from the nets' own training images, without augmentation."""
    train_set, _, _ = split_for_scale(data, get_scale(nets.scale), nets.seed)
    return train_set.subset(per_class, seed=0)


def committed_errors(nets: TrainedNets) -> Dict[str, float]:
    """Each net's final error (%) on its whole evaluation split, from its committed History (empty if not committed)."""
    if not nets.committed:
        return {}
    histories = load_committed(GROUP, nets.seed)
    return {m: histories[m].eval_error[-1] for m in nets.models}


# ------------------------------------------------------------------ lesions

def blocks_of(model: nn.Module) -> List[nn.Module]:
    """The blocks of a CIFAR 6n+2 net, in order: ``layer1``, then ``layer2``, then ``layer3``."""
    if not all(hasattr(model, f"layer{s}") for s in (1, 2, 3)):
        raise TypeError(f"expected a CIFAR 6n+2 net (resnet56, plain56, ...) with layer1..layer3, got "
                        f"{type(model).__name__}")
    return [b for s in (1, 2, 3) for b in getattr(model, f"layer{s}")]


def is_downsampling(block: nn.Module) -> bool:
    """True for a block that halves the maps and widens the channels (the first block of stages 2 and 3)."""
    return block.conv1.stride != (1, 1) or block.conv1.in_channels != block.conv2.out_channels


def skip_of(block: nn.Module) -> nn.Module:
    """What is left of ``block`` when it is deleted: its shortcut (the identity, or option A's subsample-and-pad
    where the shape changes). A plain net's block has no shortcut; it gets the same parameter-free map."""
    if not is_downsampling(block):
        return nn.Identity()
    return ZeroPadShortcut(block.conv1.in_channels, block.conv2.out_channels, block.conv1.stride[0])


class BlockSequence(nn.Module):
    """A CIFAR net's stem and head around another sequence of steps: its blocks deleted, reordered or kept."""

    def __init__(self, model: nn.Module, steps: Sequence[nn.Module]):
        super().__init__()
        self.stem = nn.Sequential(model.conv1, model.bn1, model.relu)
        self.steps = nn.ModuleList(steps)
        self.avgpool, self.fc = model.avgpool, model.fc

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for step in self.steps:
            x = step(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def lesioned(model: nn.Module, delete: Sequence[int] = (), order: Optional[Sequence[int]] = None) -> BlockSequence:
    """``model`` with the blocks at the positions ``delete`` replaced by their shortcut (:func:`skip_of`), and its
    blocks run in ``order`` (default: their own). Shares the weights of ``model``; changes nothing in it."""
    blocks = blocks_of(model)
    order = list(range(len(blocks))) if order is None else list(order)
    if sorted(order) != list(range(len(blocks))):
        raise ValueError(f"order must be a permutation of 0..{len(blocks) - 1}, got {order}")
    bad = [i for i in delete if not (isinstance(i, int) and 0 <= i < len(blocks))]
    if bad:
        raise ValueError(f"delete takes block positions from 0 to {len(blocks) - 1}; got {bad}")
    delete = set(delete)
    return BlockSequence(model, [skip_of(blocks[i]) if i in delete else blocks[i] for i in order]).eval()


def error_of(model: nn.Module, images) -> float:
    """Test error (%) of ``model`` on ``images``, in float32 (so the numbers do not depend on the CPU)."""
    return evaluate(model, images)[1]


def block_labels(model: nn.Module) -> List[str]:
    """``"2.1"`` for the first block of stage 2, and so on; downsampling blocks get a star: ``"2.1*"``."""
    n = len(blocks_of(model)) // 3
    return [f"{i // n + 1}.{i % n + 1}" + ("*" if is_downsampling(b) else "")
            for i, b in enumerate(blocks_of(model))]


def single_deletions(model: nn.Module, images) -> List[float]:
    """The error (%) on ``images`` with each block deleted in turn, in block order."""
    return [error_of(lesioned(model, [i]), images) for i in range(len(blocks_of(model)))]


def deletable_blocks(model: nn.Module) -> List[int]:
    """The positions of the blocks that keep their input's shape (all but the downsampling ones)."""
    return [i for i, b in enumerate(blocks_of(model)) if not is_downsampling(b)]


def random_deletions(model: nn.Module, images, ks: Sequence[int], draws: int, seed: int = 0) -> Dict[int, List[float]]:
    """For each k of ``ks``: the error (%) after deleting k blocks chosen at random among those that keep their
    shape, for ``draws`` independent draws (a generator seeded with ``seed``)."""
    generator = torch.Generator().manual_seed(seed)
    pool = deletable_blocks(model)
    out = {}
    for k in ks:
        out[k] = []
        for _ in range(draws):
            chosen = torch.randperm(len(pool), generator=generator)[:k].tolist()
            out[k].append(error_of(lesioned(model, [pool[c] for c in chosen]), images))
    return out


def swappable_pairs(model: nn.Module) -> List[Tuple[int, int]]:
    """Neighbouring blocks (i, i + 1) of the same stage that both keep their shape, so either order runs."""
    blocks = blocks_of(model)
    n = len(blocks) // 3
    return [(i, i + 1) for i in range(len(blocks) - 1)
            if i // n == (i + 1) // n and not is_downsampling(blocks[i]) and not is_downsampling(blocks[i + 1])]


def neighbour_swaps(model: nn.Module, images) -> List[float]:
    """The error (%) with each pair of :func:`swappable_pairs` swapped, one pair at a time."""
    errors = []
    for i, j in swappable_pairs(model):
        order = list(range(len(blocks_of(model))))
        order[i], order[j] = j, i
        errors.append(error_of(lesioned(model, order=order), images))
    return errors


# ------------------------------------------------------------------ paths

def path_length_counts(n: int) -> List[int]:
    """How many of the 2^n paths through n residual blocks pass through exactly k residual branches, k = 0..n:
    the binomial coefficients C(n, k)."""
    return [math.comb(n, k) for k in range(n + 1)]


def _routed_forward(model: nn.Module, x: torch.Tensor, through: set) -> Tuple[torch.Tensor, torch.Tensor]:
    """(logits, the first block's input, which requires grad): the forward pass is the net's own, but in the
    backward pass the gradient of block i flows through its residual branch only (i in ``through``) or its shortcut
    only (otherwise): one single path of the unrolled net."""
    start = model.relu(model.bn1(model.conv1(x))).detach().requires_grad_(True)
    h = start
    for i, block in enumerate(blocks_of(model)):
        branch, skip = block.residual_branch(h), block.shortcut(h)
        branch, skip = (branch, skip.detach()) if i in through else (branch.detach(), skip)
        h = block.relu(branch + skip)
    return model.fc(torch.flatten(model.avgpool(h), 1)), start


def path_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor, through: Sequence[int]) -> float:
    """The mean over images of the norm of the loss gradient that reaches the first block's input through the
    single path that takes the residual branches of the blocks ``through`` and the shortcuts of all others."""
    if not getattr(model, "residual", True):
        raise ValueError("paths need shortcuts: give a residual net (resnet56), not a plain one")
    logits, start = _routed_forward(model, x, set(through))
    loss = F.cross_entropy(logits, y, reduction="sum")   # summed: each image's own gradient, not divided by the batch
    grad, = torch.autograd.grad(loss, start)
    return grad.flatten(1).norm(dim=1).mean().item()


@dataclass
class PathGradients:
    """Per path length k: the mean gradient norm of one sampled path (``per_path``), and that times the number of
    paths of length k (``total``), as in Veit et al.'s Fig. 6."""

    n: int
    lengths: List[int]
    per_path: List[float]
    samples: int
    images: int

    @property
    def total(self) -> List[float]:
        counts = path_length_counts(self.n)
        return [g * counts[k] for k, g in zip(self.lengths, self.per_path)]

    def share(self) -> List[float]:
        """Each length's share of the summed total gradient magnitude."""
        total = self.total
        return [t / sum(total) for t in total]

    def effective_range(self, mass: float = 0.9) -> Tuple[int, int]:
        """The shortest range of path lengths that carries ``mass`` of the total gradient magnitude."""
        share = self.share()
        best = (self.lengths[0], self.lengths[-1])
        for a in range(len(share)):
            for b in range(a, len(share)):
                if sum(share[a:b + 1]) >= mass:
                    if self.lengths[b] - self.lengths[a] < best[1] - best[0]:
                        best = (self.lengths[a], self.lengths[b])
                    break
        return best

    def to_dict(self) -> dict:
        return {"n": self.n, "lengths": self.lengths, "per_path": self.per_path, "samples": self.samples,
                "images": self.images}


def path_gradients(model: nn.Module, images, lengths: Optional[Sequence[int]] = None, samples: int = 4,
                   seed: int = 0) -> PathGradients:
    """Sample ``samples`` paths of each length (random sets of residual branches, a generator seeded with
    ``seed``) and measure the gradient each one carries to the first block, on ``images`` (in float32)."""
    n = len(blocks_of(model))
    lengths = list(range(n + 1)) if lengths is None else list(lengths)
    generator = torch.Generator().manual_seed(seed)
    x, y = normalize(images.images), images.labels
    model.eval()
    per_path = []
    for k in lengths:
        norms = [path_gradient(model, x, y, torch.randperm(n, generator=generator)[:k].tolist())
                 for _ in range(samples)]
        per_path.append(sum(norms) / len(norms))
    return PathGradients(n, lengths, per_path, samples, len(y))


# ------------------------------------------------------------------ loss landscapes

def random_direction(model: nn.Module, seed: int) -> List[torch.Tensor]:
    """A random Gaussian direction in weight space, filter-normalised as in Li et al. 2018: each filter (each output
    row of a convolution or linear layer) is rescaled to the norm of the same filter of the weights. Parameters
    with one dimension (batch-norm scales and shifts, biases) get a zero direction, the default of their code."""
    generator = torch.Generator().manual_seed(seed)
    direction = []
    for p in model.parameters():
        d = torch.randn(p.shape, generator=generator)
        if p.dim() <= 1:
            d.zero_()
        else:
            d *= p.detach().flatten(1).norm(dim=1).view(-1, *[1] * (p.dim() - 1)) / \
                d.flatten(1).norm(dim=1).view(-1, *[1] * (p.dim() - 1))
        direction.append(d)
    return direction


def _batches(images, batch_size: int = 500):
    for i in range(0, len(images.labels), batch_size):
        yield normalize(images.images[i:i + batch_size]), images.labels[i:i + batch_size]


@torch.no_grad()
def loss_at(model: nn.Module, images, directions: Sequence[Sequence[torch.Tensor]], coords: Sequence[float]) -> float:
    """The mean cross-entropy on ``images`` (eval mode, float32) at the weights theta + sum_i coords[i] d_i; the
    model's own weights are put back afterwards."""
    params = list(model.parameters())
    saved = [p.detach().clone() for p in params]
    model.eval()
    try:
        for j, p in enumerate(params):
            for c, d in zip(coords, directions):
                if c:
                    p.add_(d[j], alpha=float(c))
        total = sum(F.cross_entropy(model(x), y, reduction="sum").item() for x, y in _batches(images))
    finally:
        for p, s in zip(params, saved):
            p.copy_(s)
    return total / len(images.labels)


def loss_slice(model: nn.Module, images, direction, alphas: Sequence[float]) -> List[float]:
    """f(alpha) = L(theta + alpha d) for each alpha (Li et al. 2018, eq. 1)."""
    return [loss_at(model, images, [direction], [a]) for a in alphas]


def loss_grid(model: nn.Module, images, directions, alphas: Sequence[float], betas: Sequence[float]) -> torch.Tensor:
    """f(alpha, beta) = L(theta + alpha d1 + beta d2) on a grid: a tensor [len(betas), len(alphas)]."""
    return torch.tensor([[loss_at(model, images, directions, [a, b]) for a in alphas] for b in betas])


def time_per_point(model: nn.Module, images, directions, repeats: int = 2) -> float:
    """Seconds to compute one point of a loss surface on ``images`` (the best of ``repeats``)."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        loss_at(model, images, directions, [0.1, 0.1])
        best = min(best, time.perf_counter() - start)
    return best


def surface_hessians(grid: torch.Tensor, step: float) -> torch.Tensor:
    """The 2x2 Hessian of the surface at every interior point of ``grid`` (spacing ``step``), by central finite
    differences: a tensor [rows - 2, columns - 2, 2, 2]."""
    g = grid.double()
    f_aa = (g[1:-1, 2:] - 2 * g[1:-1, 1:-1] + g[1:-1, :-2]) / step ** 2
    f_bb = (g[2:, 1:-1] - 2 * g[1:-1, 1:-1] + g[:-2, 1:-1]) / step ** 2
    f_ab = (g[2:, 2:] - g[2:, :-2] - g[:-2, 2:] + g[:-2, :-2]) / (4 * step ** 2)
    return torch.stack([torch.stack([f_aa, f_ab], -1), torch.stack([f_ab, f_bb], -1)], -2)


def nonconvex_points(grid: torch.Tensor, step: float) -> torch.Tensor:
    """At each interior grid point, whether the surface curves down along some direction there: the smaller
    eigenvalue of its 2x2 finite-difference Hessian is negative (a bool tensor [rows - 2, columns - 2])."""
    return torch.linalg.eigvalsh(surface_hessians(grid, step))[..., 0] < 0


def nonconvex_fraction(grid: torch.Tensor, step: float, margin: int = 0) -> float:
    """The fraction of interior grid points that are non-convex (:func:`nonconvex_points`); ``margin`` > 0 leaves
    out that many more rings of points at the edge (``margin=3`` of a 13 x 13 grid keeps the central 5 x 5)."""
    points = nonconvex_points(grid, step)
    if margin:
        points = points[margin:-margin, margin:-margin]
    return points.double().mean().item()


def grid_axis(points: int, extent: float = 1.0) -> List[float]:
    """``points`` evenly spaced coordinates from ``-extent`` to ``extent``."""
    return torch.linspace(-extent, extent, points, dtype=torch.float64).tolist()


# ------------------------------------------------------------------ everything for one seed, committed

def measurements_path(seed: int) -> Path:
    return results_dir() / "paths" / MEASURE_FILE.format(seed=seed)


def measure(data, seed: int = 0, log=print) -> dict:
    """Every measurement notebook 06 plots, for the committed nets of ``seed``, at the committed sizes: written by
    ``python -m resnet_lab measure paths`` to ``resnet_lab/results/paths/measurements-seed<seed>.json``."""
    return measure_nets(trained_nets(data, seed), data, log=log)


def measure_small(data, nets: TrainedNets, log=print) -> dict:
    """The measurements of :func:`measure` at a size a notebook can wait for (a minute or two): for nets that have
    no committed measurements (the classroom-scale nets trained when the committed weights are missing)."""
    return measure_nets(nets, data, grid_points=9, slice_points=9, ks=(1, 2, 5, 10, 15, 20), draws=1,
                        path_samples=1, path_images=10, log=log)


def measure_nets(nets: TrainedNets, data, grid_points: int = GRID_POINTS, slice_points: int = SLICE_POINTS,
                 ks: Sequence[int] = tuple(range(1, K_MAX + 1)), draws: int = DRAWS, path_samples: int = PATH_SAMPLES,
                 path_images: int = PATH_IMAGES, log=print) -> dict:
    """Lesions (single, k random, neighbour swaps), path gradients (residual nets) and loss landscapes (a slice and a
    grid over [-1, 1], directions drawn with seeds 2 seed and 2 seed + 1) of each of ``nets``."""
    seed = nets.seed
    evals, train_images = evaluation_images(data, nets), landscape_images(data, nets)
    out = {"seed": seed, "scale": nets.scale, "source": nets.source, "lesion_images": len(evals.labels),
           "landscape_images": len(train_images.labels), "nets": {}}
    for name, model in nets.models.items():
        start = time.perf_counter()
        net = {"error": error_of(model, evals), "single_deletions": single_deletions(model, evals),
               "labels": block_labels(model), "swaps": neighbour_swaps(model, evals),
               "swap_pairs": swappable_pairs(model)}
        deletions = random_deletions(model, evals, ks, draws, seed=seed)
        net["random_deletions"] = {str(k): v for k, v in deletions.items()}
        log(f"{name}: lesions in {time.perf_counter() - start:.0f} s")
        if getattr(model, "residual", False):
            start = time.perf_counter()
            net["paths"] = path_gradients(model, evals.subset(max(1, path_images // 10), seed=0),
                                          samples=path_samples, seed=seed).to_dict()
            log(f"{name}: path gradients in {time.perf_counter() - start:.0f} s")
        directions = [random_direction(model, seed=2 * seed), random_direction(model, seed=2 * seed + 1)]
        net["seconds_per_point"] = time_per_point(model, train_images, directions)
        alphas = grid_axis(slice_points)
        start = time.perf_counter()
        net["slice"] = {"alphas": alphas, "loss": loss_slice(model, train_images, directions[0], alphas)}
        axis = grid_axis(grid_points)
        net["grid"] = {"alphas": axis, "betas": axis,
                       "loss": loss_grid(model, train_images, directions, axis, axis).tolist()}
        log(f"{name}: landscape ({slice_points} + {grid_points}x{grid_points} points) in "
            f"{time.perf_counter() - start:.0f} s")
        out["nets"][name] = net
    return out


def save_measurements(result: dict) -> Path:
    return save_json(measurements_path(result["seed"]), result)


def load_measurements(seed: int = 0) -> Optional[dict]:
    """The committed measurements of ``seed``, or None when the file is missing."""
    path = measurements_path(seed)
    return json.loads(path.read_text()) if path.is_file() else None


# ------------------------------------------------------------------ the contrasts the notebook asserts

def _rises(net: dict) -> Tuple[List[float], List[float]]:
    """(rises in error after deleting a block inside a stage, after deleting a downsampling block), in points."""
    rises = [e - net["error"] for e in net["single_deletions"]]
    down = [r for r, label in zip(rises, net["labels"]) if label.endswith("*")]
    inside = [r for r, label in zip(rises, net["labels"]) if not label.endswith("*")]
    return inside, down


def _median(values: Sequence[float]) -> float:
    return float(torch.tensor(values, dtype=torch.float64).median()) if len(values) % 2 else \
        float(torch.tensor(sorted(values), dtype=torch.float64)[len(values) // 2 - 1:len(values) // 2 + 1].mean())


def summarise(measured: dict) -> Dict[str, float]:
    """The numbers notebook 06 reads and asserts, from one seed's measurements (:func:`measure`)."""
    res, plain = measured["nets"]["resnet56"], measured["nets"]["plain56"]
    inside, down = _rises(res)
    plain_inside, _ = _rises(plain)
    curve = {int(k): sum(v) / len(v) for k, v in res["random_deletions"].items()}
    ks = sorted(curve)
    steps = [curve[b] - curve[a] for a, b in zip(ks, ks[1:])]
    grads = PathGradients(**res["paths"])
    step = res["grid"]["alphas"][1] - res["grid"]["alphas"][0]
    return {
        "resnet_error": res["error"], "plain_error": plain["error"],
        "resnet_inside_median": _median(inside), "plain_inside_median": _median(plain_inside),
        "resnet_down_min": min(down), "resnet_k1": curve[ks[0]], "resnet_k5": curve.get(5, math.nan),
        "resnet_kmax": curve[ks[-1]], "plain_single_median": _median(plain["single_deletions"]),
        "resnet_largest_step": max(steps), "resnet_swap_median": _median([e - res["error"] for e in res["swaps"]]),
        "plain_swap_median": _median([e - plain["error"] for e in plain["swaps"]]),
        "blocks": grads.n, "weighted_path_length": sum(k * s for k, s in zip(grads.lengths, grads.share())),
        "nonconvex_resnet": nonconvex_fraction(torch.tensor(res["grid"]["loss"]), step),
        "nonconvex_plain": nonconvex_fraction(torch.tensor(plain["grid"]["loss"]), step),
        "nonconvex_resnet_centre": nonconvex_fraction(torch.tensor(res["grid"]["loss"]), step, margin=3),
        "nonconvex_plain_centre": nonconvex_fraction(torch.tensor(plain["grid"]["loss"]), step, margin=3),
        "effective_low": grads.effective_range(0.9)[0], "effective_high": grads.effective_range(0.9)[1],
        "resnet_down_max": max(down),
    }


def failed_contrasts(s: Dict[str, float]) -> List[str]:
    """The contrasts of notebook 06 that the summary ``s`` (:func:`summarise`) breaks; empty when all hold."""
    claims = {
        "a single deletion inside a stage costs resnet-56 under 5 points (median)": s["resnet_inside_median"] < 5,
        "it costs plain-56 at least 15 points more (median)":
            s["plain_inside_median"] > s["resnet_inside_median"] + 15,
        "resnet-56's error rises with k, from k = 1 to the largest k": s["resnet_kmax"] > s["resnet_k1"] + 10,
        "resnet-56 with 5 random blocks deleted (mean) still errs less than plain-56 with one deleted (median)":
            s["resnet_k5"] < s["plain_single_median"],
        "the gradient comes from paths shorter than the typical path (weighted mean below n/2 - 3)":
            s["weighted_path_length"] < s["blocks"] / 2 - 3,
        "plain-56's 2-D slice has at least 10 points more non-convex grid points than resnet-56's":
            s["nonconvex_plain"] > s["nonconvex_resnet"] + 0.1,
    }
    return [claim for claim, holds in claims.items() if not holds]
