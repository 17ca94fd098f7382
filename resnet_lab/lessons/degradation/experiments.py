"""Notebook 01's numbers: final errors, the degradation gaps, and the comparison with the paper's Table 6."""
from __future__ import annotations

from typing import Dict, Optional

import torch
from torch import nn

from resnet_lab.config import get_scale
from resnet_lab.data import normalize
from resnet_lab.gradients import measure_gradient_flow
from resnet_lab.models import BasicBlock, Bottleneck, count_parameters, get_model
from resnet_lab.runs import build_model, load_trained_model
from resnet_lab.runtime import seed_everything
from resnet_lab.training import train

# He et al. 2015, Table 6: CIFAR-10 test error (%) of the residual nets (the paper's best of 5 runs for 110).
PAPER_TABLE6_TEST_ERROR = {"resnet20": 8.75, "resnet32": 7.51, "resnet44": 7.17, "resnet56": 6.97, "resnet110": 6.43}


#: The four nets of the controlled comparison, and the two more that exercise 2 trains.
NETS = ("plain20", "plain56", "resnet20", "resnet56")
DEPTH_EXERCISE_NETS = ("plain32", "plain44")


def final_errors(histories: Dict[str, object]) -> Dict[str, Dict[str, float]]:
    """{model: {"train": final training error %, "test": final test error %}}."""
    return {name: {"train": h.final("train_error"), "test": h.final("eval_error")} for name, h in histories.items()}


def degradation_gaps(histories: Dict[str, object], shallow: str = "plain20", deep: str = "plain56",
                     residual: str = "resnet56") -> Dict[str, float]:
    """The two gaps notebook 01 asserts, in percentage points of final training error.

    ``deep_minus_shallow``: plain-56 minus plain-20 (positive: the deeper plain net trains worse: degradation).
    ``plain_minus_residual``: plain-56 minus resnet-56 (positive: the shortcut fixes it).
    """
    errors = final_errors({k: histories[k] for k in (shallow, deep, residual)})
    return {"deep_minus_shallow": errors[deep]["train"] - errors[shallow]["train"],
            "plain_minus_residual": errors[deep]["train"] - errors[residual]["train"]}


def results_table(live: Dict[str, object], reference: Optional[Dict[str, object]] = None,
                  live_label: str = "classroom", reference_label: str = "reference") -> str:
    """Final train/test errors of our runs beside the paper's Table 6 test errors, as aligned text."""
    reference = reference or {}
    names = list(dict.fromkeys([*live, *reference]))
    header = ["model", f"{live_label} train", f"{live_label} test"]
    if reference:
        header += [f"{reference_label} train", f"{reference_label} test"]
    header.append("paper test (Table 6)")
    rows = [header]
    for name in names:
        row = [name]
        for runs in ([live, reference] if reference else [live]):
            h = runs.get(name)
            row += [f"{h.final('train_error'):.1f}%", f"{h.final('eval_error'):.1f}%"] if h else ["-", "-"]
        paper = PAPER_TABLE6_TEST_ERROR.get(name)
        row.append(f"{paper:.2f}%" if paper is not None else "not in the table")
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in rows)


def shortcut_parameters(model: nn.Module) -> int:
    """Parameters in the model's shortcuts: the ``downsample`` modules of its blocks (0 for option A's
    zero-padding and for plain nets; option B's 1x1 convolutions and their batch norms)."""
    return sum(count_parameters(block.downsample) for block in model.modules()
               if isinstance(block, (BasicBlock, Bottleneck)) and block.downsample is not None)


def describe_nets(names, **model_options) -> str:
    """Parameters, weighted layers (conv + linear) and shortcut parameters of each named CIFAR net, as text.

    ``model_options`` go to :func:`resnet_lab.models.get_model`, e.g. ``shortcut="B"``.
    """
    lines = []
    for name in names:
        model = get_model(name, **model_options)
        layers = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model.modules())
        shortcuts = shortcut_parameters(model)
        lines.append(f"{name:<9} {count_parameters(model):>9,} parameters  {layers:>3} weighted layers  "
                     f"{shortcuts:,} parameters in shortcuts")
    return "\n".join(lines)


def fixed_batch(images, size: int = 128, seed: int = 0):
    """A seeded batch of ``size`` images (normalised, no augmentation) and labels, for gradient measurements."""
    index = torch.randperm(len(images.labels), generator=torch.Generator().manual_seed(seed))[:size]
    return normalize(images.images[index]), images.labels[index]


def gradient_flows(names, data, scale, x, y, seed: int = 0):
    """Per-layer gradient norms of each named net on the batch (x, y): at initialisation (the very weights
    :func:`resnet_lab.train_or_load` started from) and after its training. Returns (at_init, trained)."""
    scale = get_scale(scale)
    at_init, trained = {}, {}
    for name in names:
        seed_everything(seed)
        at_init[name] = measure_gradient_flow(build_model(name, scale).train(), x, y)
        trained[name] = measure_gradient_flow(load_trained_model(name, data, scale, seed).train(), x, y)
    return at_init, trained


def first_losses(model_name: str, train_set, eval_set, scale, warmup: bool, iterations: int = 12, seed: int = 0):
    """Training losses of the first ``iterations`` steps of a fresh net, with or without the scale's warm-up."""
    scale = get_scale(scale)
    seed_everything(seed)
    model = build_model(model_name, scale)
    config = scale.replace(epochs=None, iterations=iterations, seed=seed,
                           warmup_epochs=scale.warmup_epochs if warmup else 0)
    return train(model, train_set, eval_set.subset(2, seed=seed), config, progress=False).iter_loss


def estimate_batchnorm_statistics(model: nn.Module, images, batches: int = 4, batch_size: int = 128) -> nn.Module:
    """Replace every BatchNorm's running mean and variance by their average over ``batches`` batches of ``images``
    (an ``Images``), so that the model in eval mode normalises as it would in training. Returns the model, in eval
    mode. An untrained net's running statistics are still 0 and 1, which would leave it unnormalised."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None   # a cumulative average over the batches below
    model.train()
    with torch.no_grad():
        for b in range(batches):
            model(normalize(images.images[b * batch_size:(b + 1) * batch_size]))
    for m in norms:
        m.momentum = 0.1
    return model.eval()


def path_gradient_correlation(model: nn.Module, start: torch.Tensor, end: torch.Tensor, label: int,
                              points: int = 64) -> float:
    """How correlated the input gradients of neighbouring images are, along the straight path between two images.

    The images x(t) = (1 - t) start + t end for ``points`` values of t in [0, 1] go through ``model`` (in eval
    mode, so no image affects another); g(t) is the gradient of the loss for class ``label`` with respect to x(t).
    Returns the mean cosine similarity of g at neighbouring points. Near 1: the gradient changes smoothly with the
    input; near 0: shattered, like white noise (Balduzzi et al. 2017).
    """
    t = torch.linspace(0, 1, points)[:, None, None, None]
    x = ((1 - t) * start[None] + t * end[None]).requires_grad_(True)
    loss = nn.functional.cross_entropy(model(x), torch.full((points,), int(label)), reduction="sum")
    (grad,) = torch.autograd.grad(loss, x)
    g = grad.flatten(1)
    return float(nn.functional.cosine_similarity(g[:-1], g[1:], dim=1).mean())


def shattering(names, data, scale, images, seed: int = 0, pairs: int = 3, points: int = 64):
    """Mean neighbour correlation of input gradients (:func:`path_gradient_correlation`) of each named net, at
    initialisation (the weights :func:`resnet_lab.train_or_load` started from) and trained, averaged over ``pairs``
    paths between training images of different classes. Returns {"at initialisation": {name: r}, "after
    training": {name: r}}."""
    scale = get_scale(scale)
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(images.labels), generator=generator)
    ends = [(int(i), int(j)) for i, j in zip(order[:4 * pairs:2], order[1:4 * pairs:2])
            if images.labels[i] != images.labels[j]][:pairs]
    x = normalize(images.images)
    result = {"at initialisation": {}, "after training": {}}
    for name in names:
        seed_everything(seed)
        nets = {"at initialisation": estimate_batchnorm_statistics(build_model(name, scale), images),
                "after training": load_trained_model(name, data, scale, seed)}
        for stage, net in nets.items():
            values = [path_gradient_correlation(net, x[i], x[j], int(images.labels[i]), points) for i, j in ends]
            result[stage][name] = sum(values) / len(values)
    return result
