"""The learning rate at each iteration, and the precision a device trains in."""
from __future__ import annotations

import math
from typing import Optional

import torch

from resnet_lab.config import ERROR_WARMUP_WINDOW, Recipe
from resnet_lab.runtime import cpu_has_native_bf16


def learning_rate(recipe: Recipe, iteration: int, per_epoch: int, warming: bool = False) -> float:
    """The learning rate at ``iteration`` (0-based) of a run of ``per_epoch`` batches per epoch: warm-up, then
    the schedule (step drops at the milestones, cosine, or constant). ``warming``: the run is still in an
    error-based warm-up (``recipe.warmup_lr`` until the training error falls below ``recipe.warmup_until_error``)."""
    if warming or (recipe.warmup_lr_iterations is not None and iteration < recipe.warmup_lr_iterations):
        return recipe.warmup_lr
    total = recipe.total_iterations(per_epoch)
    warmup = recipe.warmup_iterations(per_epoch)
    if iteration < warmup:
        return recipe.lr * (iteration + 1) / warmup
    if recipe.schedule == "cosine":
        progress = (iteration - warmup) / max(1, total - warmup)
        return 0.5 * recipe.lr * (1 + math.cos(math.pi * progress))
    if recipe.schedule == "step":
        steps = [round(m * total) if m < 1 else int(m) for m in recipe.milestones]
        return recipe.lr * recipe.gamma ** sum(iteration >= s for s in steps)
    return recipe.lr


def autocast_dtype(device, precision: str = "auto") -> Optional[torch.dtype]:
    """bfloat16 where the device computes it natively (or when asked), else None (float32)."""
    device = torch.device(device)
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    if device.type == "cpu":
        return torch.bfloat16 if cpu_has_native_bf16() else None
    return None


def error_warmup_over(iter_errors, recipe: Recipe) -> bool:
    """True once an error-based warm-up is over: some run of :data:`ERROR_WARMUP_WINDOW` consecutive mini-batch
    errors has a mean below ``recipe.warmup_until_error`` (always True for a recipe without one)."""
    if recipe.warmup_until_error is None:
        return True
    window = ERROR_WARMUP_WINDOW
    return any(sum(iter_errors[i - window:i]) / window < recipe.warmup_until_error
               for i in range(window, len(iter_errors) + 1))
