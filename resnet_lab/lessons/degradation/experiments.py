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
