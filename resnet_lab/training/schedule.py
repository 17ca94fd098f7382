"""The learning rate at each iteration, and the precision a device trains in."""
from __future__ import annotations

import math
from typing import Optional

import torch

from resnet_lab.config import Recipe
from resnet_lab.runtime import cpu_has_native_bf16


def learning_rate(recipe: Recipe, iteration: int, per_epoch: int) -> float:
    """The learning rate at ``iteration`` (0-based) of a run of ``per_epoch`` batches per epoch: warm-up, then
    the schedule (step drops at the milestones, cosine, or constant)."""
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
