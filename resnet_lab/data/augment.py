r"""Per-batch normalisation and the paper's augmentation, as tensor operations on the training device.

He et al. (2015, sec. 4.2): "4 pixels are padded on each side, and a 32x32 crop is randomly sampled from the
padded image or its horizontal flip". For a batch of B images we draw B crop offsets
(o_y, o_x) in {0, ..., 2p} and B flip flags, then read every output pixel with one indexing operation:

    out[b, c, i, j] = pad(x)[b, c, o_y + i, o_x + j']      j' = W - 1 - j if flip[b] else j

No Python loop over images and no PIL, so it runs as fast on a CPU as a torchvision pipeline runs per image
in many worker processes, and it runs on a GPU unchanged.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F

#: Per-channel mean and standard deviation of CIFAR-10's 50,000 training images (pixels scaled to [0, 1]).
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)


def normalize(x: torch.Tensor) -> torch.Tensor:
    """uint8 images [B, 3, H, W] -> float32 ``(x / 255 - MEAN) / STD`` on the same device and memory format."""
    if not isinstance(x, torch.Tensor) or x.dtype != torch.uint8:
        what = x.dtype if isinstance(x, torch.Tensor) else type(x).__name__
        raise TypeError(f"normalize takes uint8 images (0..255), got {what}; normalise each batch once, "
                        "straight from Images.images")
    if x.dim() != 4 or x.shape[1] != len(MEAN):
        raise ValueError(f"normalize takes a batch [B, {len(MEAN)}, H, W], got shape {list(x.shape)}")
    std = torch.tensor(STD, device=x.device).view(1, -1, 1, 1)
    mean = torch.tensor(MEAN, device=x.device).view(1, -1, 1, 1)
    # (x / 255 - mean) / std  ==  x * (1 / (255 std)) - mean / std, in one fused pass after the conversion
    return torch.addcmul(-mean / std, x.float(), 1.0 / (255.0 * std))


def draw_crops_and_flips(batch_size: int, generator: Optional[torch.Generator] = None,
                         padding: int = 4) -> Tuple[torch.Tensor, torch.Tensor]:
    """B crop offsets [B, 2] (rows, columns), each in [0, 2 * padding], and B flip flags [B] (bool), on the CPU."""
    offsets = torch.randint(0, 2 * padding + 1, (batch_size, 2), generator=generator)
    flips = torch.randint(0, 2, (batch_size,), generator=generator).bool()
    return offsets, flips


def crop_and_flip(x: torch.Tensor, offsets: torch.Tensor, flips: torch.Tensor, padding: int = 4) -> torch.Tensor:
    """Zero-pad ``x`` [B, C, H, W] by ``padding``, cut the H x W window at each offset, mirror where flipped.

    One indexing operation picks whole pixels (all C channels at once) from the padded batch viewed as
    [B, H, W, C]; the result has shape [B, C, H, W] in channels-last memory layout, the layout the models
    train fastest in, so no copy is needed later.
    """
    b, c, h, w = x.shape
    device = x.device
    offsets, flips = offsets.to(device), flips.to(device)
    pixels = F.pad(x, (padding, padding, padding, padding)).permute(0, 2, 3, 1)   # [B, H+2p, W+2p, C]
    rows = offsets[:, 0, None] + torch.arange(h, device=device)                  # [B, H]
    columns = torch.arange(w, device=device).expand(b, w)
    columns = torch.where(flips[:, None], w - 1 - columns, columns) + offsets[:, 1, None]   # [B, W]
    batch = torch.arange(b, device=device)[:, None, None]
    return pixels[batch, rows[:, :, None], columns[:, None, :]].permute(0, 3, 1, 2)   # [B, C, H, W]


def augment(x: torch.Tensor, generator: Optional[torch.Generator] = None, padding: int = 4) -> torch.Tensor:
    """The paper's augmentation of a whole batch: pad ``padding`` px, random H x W crop, random horizontal flip.

    The random numbers come from ``generator`` (a CPU ``torch.Generator``; ``None``: torch's global one), so
    the same seed gives the same batch on any device. Keeps ``x``'s dtype (uint8 or float) and device; the
    result is laid out channels-last.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        raise ValueError(f"augment takes a batch of images [B, C, H, W], got "
                         f"{list(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f"padding must be a whole number of pixels >= 0, got {padding!r}")
    if generator is not None and generator.device.type != "cpu":
        raise ValueError("augment draws its random numbers on the CPU: pass a CPU torch.Generator() "
                         "(the result lands on x's device either way)")
    offsets, flips = draw_crops_and_flips(len(x), generator, padding)
    return crop_and_flip(x, offsets, flips, padding)
