"""The two residual blocks of He et al. 2015 and their shortcuts.

A block computes ``y = relu(F(x) + shortcut(x))``, where the residual branch F is
two 3x3 convolutions (:class:`BasicBlock`) or 1x1 -> 3x3 -> 1x1 convolutions
(:class:`Bottleneck`), each followed by batch normalisation.

Where a block keeps the shape of its input, the shortcut is the identity: it adds
no parameters. Where the block halves the feature map and widens the channels,
the paper offers two shortcuts (section 3.3):

- option A, :class:`ZeroPadShortcut`: still parameter-free; subsample by taking
  every second pixel and append zero channels;
- option B, :func:`projection_shortcut`: a 1x1 convolution with stride 2 and a
  batch norm (torchvision's ``downsample``), used only where the shape changes.

``residual=False`` removes the shortcut and changes nothing else: that is the
"plain" net of the paper, with the same layers and the same parameter count
(with option A).
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn
import torch.nn.functional as F

SHORTCUTS = {"A": "zero-padding identity (parameter-free)",
             "B": "1x1 convolution + batch norm where the shape changes, identity elsewhere"}


def check_shortcut(shortcut) -> str:
    """``"A"`` or ``"B"`` (any case); anything else is a ValueError that lists both options."""
    if isinstance(shortcut, str) and shortcut.upper() in SHORTCUTS:
        return shortcut.upper()
    options = "; ".join(f"'{k}' = {v}" for k, v in SHORTCUTS.items())
    raise ValueError(f"shortcut must be 'A' or 'B' ({options}); got {shortcut!r}")


def conv3x3(in_channels: int, out_channels: int, stride: int = 1, bias: bool = False) -> nn.Conv2d:
    """3x3 convolution with padding 1: keeps height and width at stride 1, halves them at stride 2."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=bias)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1, bias: bool = False) -> nn.Conv2d:
    """1x1 convolution: mixes channels only (and subsamples at stride 2)."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=bias)


def norm(channels: int, batchnorm: bool = True) -> nn.Module:
    """A batch norm over ``channels``, or the identity when ``batchnorm=False``."""
    return nn.BatchNorm2d(channels) if batchnorm else nn.Identity()


class ZeroPadShortcut(nn.Module):
    """Option A: identity with subsampling and zero channels appended. No parameters.

    ``x[:, :, ::stride, ::stride]`` keeps every ``stride``-th pixel; the extra
    ``out_channels - in_channels`` channels are zeros.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        if out_channels < in_channels:
            raise ValueError(f"option A can only add channels, not remove them: {in_channels} -> {out_channels}")
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, ::self.stride, ::self.stride]
        extra = self.out_channels - self.in_channels
        if extra:
            x = F.pad(x, (0, 0, 0, 0, 0, extra))  # pad the channel dimension with zeros at the end
        return x

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, stride={self.stride}"


def projection_shortcut(in_channels: int, out_channels: int, stride: int = 1,
                        batchnorm: bool = True) -> nn.Sequential:
    """Option B: ``W_s x`` as a 1x1 convolution (stride ``stride``) then a batch norm.

    A ``Sequential`` so that its parameters are named ``downsample.0`` and
    ``downsample.1`` exactly as in torchvision.
    """
    return nn.Sequential(conv1x1(in_channels, out_channels, stride, bias=not batchnorm),
                         norm(out_channels, batchnorm))


def make_shortcut(in_channels: int, out_channels: int, stride: int = 1, shortcut: str = "B",
                  batchnorm: bool = True) -> Optional[nn.Module]:
    """The shortcut module of a block, or ``None`` for the plain identity (same shape in and out)."""
    shortcut = check_shortcut(shortcut)
    if stride == 1 and in_channels == out_channels:
        return None
    if shortcut == "A":
        return ZeroPadShortcut(in_channels, out_channels, stride)
    return projection_shortcut(in_channels, out_channels, stride, batchnorm)


class _Block(nn.Module):
    """What both blocks share: ``y = relu(residual_branch(x) + shortcut(x))``."""

    def _init_shortcut(self, in_channels, out_channels, stride, shortcut, residual, batchnorm):
        self.residual = bool(residual)
        self.downsample = make_shortcut(in_channels, out_channels, stride, shortcut, batchnorm) \
            if residual else None
        if not residual:
            check_shortcut(shortcut)

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        """The shortcut path: identity, or the option A / option B module where the shape changes."""
        return x if self.downsample is None else self.downsample(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.residual_branch(x)
        if self.residual:
            out = out + self.shortcut(x)
        return self.relu(out)


class BasicBlock(_Block):
    """Two 3x3 convolutions (ResNet-18/34 and the CIFAR nets). Output channels = ``planes``.

    The first convolution carries the stride. Attribute names follow torchvision:
    ``conv1, bn1, conv2, bn2, downsample``.
    """

    expansion = 1

    def __init__(self, in_channels: int, planes: int, stride: int = 1, shortcut: str = "B",
                 residual: bool = True, batchnorm: bool = True):
        super().__init__()
        bias = not batchnorm
        self.conv1 = conv3x3(in_channels, planes, stride, bias=bias)
        self.bn1 = norm(planes, batchnorm)
        self.relu = nn.ReLU()
        self.conv2 = conv3x3(planes, planes, bias=bias)
        self.bn2 = norm(planes, batchnorm)
        self._init_shortcut(in_channels, planes, stride, shortcut, residual, batchnorm)
        self.stride = stride

    def residual_branch(self, x: torch.Tensor) -> torch.Tensor:
        """F(x) = BN(W_2 relu(BN(W_1 x))): the part the block learns."""
        out = self.relu(self.bn1(self.conv1(x)))
        return self.bn2(self.conv2(out))


class Bottleneck(_Block):
    """1x1 (reduce channels) -> 3x3 -> 1x1 (restore, x4) convolutions (ResNet-50/101/152).

    Output channels = ``4 * planes``. The 3x3 convolution works on only ``planes``
    channels, which is what makes the block cheap; height and width change only
    where ``stride=2``. ``stride_in_1x1=False`` puts that stride in the 3x3
    convolution (torchvision, "ResNet v1.5"); ``True`` puts it in the first 1x1
    convolution, as in the paper ("v1").
    """

    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int = 1, shortcut: str = "B",
                 residual: bool = True, batchnorm: bool = True, stride_in_1x1: bool = False):
        super().__init__()
        bias = not batchnorm
        out_channels = planes * self.expansion
        self.conv1 = conv1x1(in_channels, planes, stride if stride_in_1x1 else 1, bias=bias)
        self.bn1 = norm(planes, batchnorm)
        self.conv2 = conv3x3(planes, planes, 1 if stride_in_1x1 else stride, bias=bias)
        self.bn2 = norm(planes, batchnorm)
        self.conv3 = conv1x1(planes, out_channels, bias=bias)
        self.bn3 = norm(out_channels, batchnorm)
        self.relu = nn.ReLU()
        self._init_shortcut(in_channels, out_channels, stride, shortcut, residual, batchnorm)
        self.stride = stride

    def residual_branch(self, x: torch.Tensor) -> torch.Tensor:
        """F(x) = BN(W_3 relu(BN(W_2 relu(BN(W_1 x)))))."""
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.bn3(self.conv3(out))


_CASTS = {torch.float32: ".float()", torch.float64: ".double()", torch.float16: ".half()",
          torch.bfloat16: ".bfloat16()"}


def _autocast_enabled(device_type: str) -> bool:
    try:
        return torch.is_autocast_enabled(device_type)
    except TypeError:  # torch < 2.4 takes no device type
        return torch.is_autocast_cpu_enabled() if device_type == "cpu" else torch.is_autocast_enabled()


def check_input(x, channels: int = 3, dtype: Optional[torch.dtype] = None) -> None:
    """Raise a ValueError (or TypeError) that says what to do when ``x`` is not a batch of ``channels``-channel
    images; with ``dtype`` (the model's weights' type), also when ``x`` has another floating-point type and no
    autocast region would convert it."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor of shape [N, {channels}, H, W], got {type(x).__name__}")
    if x.dim() == 3 and x.shape[0] == channels:
        raise ValueError(f"expected a batch of shape [N, {channels}, H, W], got a single image of shape "
                         f"{list(x.shape)}; add a batch dimension with x.unsqueeze(0)")
    if x.dim() != 4:
        raise ValueError(f"expected a batch of shape [N, {channels}, H, W], got a tensor of shape {list(x.shape)}")
    if x.shape[1] != channels:
        hint = "; channels come second (NCHW): use x.permute(0, 3, 1, 2)" if x.shape[-1] == channels else ""
        raise ValueError(f"expected a batch of shape [N, {channels}, H, W] ({channels} colour channels), "
                         f"got {list(x.shape)} with {x.shape[1]} channel(s){hint}")
    if not x.is_floating_point():
        raise TypeError(f"expected floating-point images, got dtype {x.dtype}; convert uint8 images with "
                        "resnet_lab.data.normalize(x) or x.float() / 255")
    if dtype is not None and x.dtype != dtype and not _autocast_enabled(x.device.type):
        want, got = str(dtype).replace("torch.", ""), str(x.dtype).replace("torch.", "")
        raise TypeError(f"expected {want} images [N, {channels}, H, W], got {got}; call "
                        f"{_CASTS.get(dtype, f'.to({dtype})')} on the batch (the model's weights are {want})")
