"""The CIFAR-10 nets of He et al. 2015, section 4.2: depth 6n+2, plain or residual.

    3x3 conv, 16 filters                      output 32x32
    stage 1: n blocks, 2 x (3x3 conv, 16)     output 32x32
    stage 2: n blocks, 2 x (3x3 conv, 32)     output 16x16  (first conv has stride 2)
    stage 3: n blocks, 2 x (3x3 conv, 64)     output 8x8    (first conv has stride 2)
    global average pool, 10-way fully connected layer

That is 1 + 6n + 1 = 6n + 2 weighted layers. ``width`` scales the filters
(``width``, ``2 width``, ``4 width``); ``residual=False`` gives the plain net,
identical except for the shortcuts.
"""
from __future__ import annotations

import torch
from torch import nn

from resnet_lab.models.blocks import BasicBlock, check_input, check_shortcut, conv3x3, norm


def nearest_valid_depths(depth: int):
    """The 6n+2 depths (n >= 1) nearest to ``depth``: one below and one above, or just one."""
    below = depth - (depth - 2) % 6
    above = below + 6
    return [d for d in (below, above) if d >= 8 and d != depth] or [8]


def check_depth(depth) -> int:
    """``depth`` if it is 6n+2 with n >= 1, else a ValueError naming the nearest valid depths."""
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise TypeError(f"depth must be an int of the form 6n+2 (20, 32, 44, 56, 110...), got {depth!r}")
    if depth < 8 or (depth - 2) % 6:
        near = " and ".join(str(d) for d in nearest_valid_depths(depth))
        raise ValueError(f"the CIFAR nets of He et al. 2015 have depth 6n+2 (20, 32, 44, 56, 110, ...); "
                         f"{depth} is not of that form. Nearest valid depths: {near}")
    return depth


class CifarResNet(nn.Module):
    """A 6n+2-layer CIFAR net. Attributes: ``conv1, bn1, relu, layer1..3, avgpool, fc``."""

    def __init__(self, depth: int = 20, residual: bool = True, shortcut: str = "A", width: int = 16,
                 num_classes: int = 10, batchnorm: bool = True):
        super().__init__()
        self.depth = check_depth(depth)
        self.blocks_per_stage = (depth - 2) // 6
        self.residual, self.shortcut, self.width = bool(residual), check_shortcut(shortcut), width
        self.batchnorm = bool(batchnorm)
        _check_positive_int("width", width)
        _check_positive_int("num_classes", num_classes)
        self.conv1 = conv3x3(3, width, bias=not batchnorm)
        self.bn1 = norm(width, batchnorm)
        self.relu = nn.ReLU()
        channels = width
        for stage, filters in enumerate((width, 2 * width, 4 * width), start=1):
            blocks = []
            for i in range(self.blocks_per_stage):
                stride = 2 if (stage > 1 and i == 0) else 1
                blocks.append(BasicBlock(channels, filters, stride, self.shortcut, residual, batchnorm))
                channels = filters
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        kaiming_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, 3, self.conv1.weight.dtype)
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))

    def extra_repr(self) -> str:
        kind = "residual" if self.residual else "plain"
        return f"depth={self.depth}, {kind}, shortcut={self.shortcut!r}, width={self.width}"


def kaiming_init(model: nn.Module) -> None:
    """He et al. 2015 ("Delving deep") initialisation: N(0, 2 / fan_in) for convolutions, BN weight 1, bias 0."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def cifar_resnet(depth: int, residual: bool = True, *, shortcut: str = "A", width: int = 16,
                 num_classes: int = 10, batchnorm: bool = True) -> CifarResNet:
    """The CIFAR net of depth ``depth`` = 6n+2; ``residual=False`` for the plain net.

    ``shortcut="A"`` (the paper's CIFAR choice) is parameter-free, so plain and
    residual nets of the same depth have exactly the same parameters.
    ``batchnorm=False`` drops every batch norm (convolutions then get a bias),
    for gradient-flow experiments.
    """
    return CifarResNet(depth, residual, shortcut, width, num_classes, batchnorm)
