"""The ImageNet ResNets of He et al. 2015 (Table 1), state-dict compatible with torchvision.

    conv1    7x7 conv, 64, stride 2          112x112   (for a 224x224 input)
    maxpool  3x3 max-pool, stride 2           56x56
    layer1   blocks of 64 planes              56x56
    layer2   blocks of 128 planes, stride 2   28x28
    layer3   blocks of 256 planes, stride 2   14x14
    layer4   blocks of 512 planes, stride 2    7x7
    avgpool  global average pool               1x1
    fc       1000-way fully connected

Attribute and parameter names are torchvision's, so
``ours.load_state_dict(torchvision.models.resnet50().state_dict())`` works.

``variant="v1.5"`` (default, torchvision) puts a bottleneck's stride in its 3x3
convolution; ``variant="v1"`` puts it in the first 1x1 convolution, as in the
paper. Same parameters, different multiply-adds. ``stem="cifar"`` replaces the
7x7 stride-2 convolution and the max-pool with one 3x3 stride-1 convolution,
for 32x32 images.
"""
from __future__ import annotations

from typing import Sequence, Type, Union

import torch
from torch import nn

from resnet_lab.models.blocks import BasicBlock, Bottleneck, check_input

VARIANTS = {"v1.5": "stride in the 3x3 convolution (torchvision)",
            "v1": "stride in the first 1x1 convolution (the paper)"}
STEMS = {"imagenet": "7x7 conv stride 2 + 3x3 max-pool stride 2",
         "cifar": "3x3 conv stride 1, no max-pool (for 32x32 images)"}

ARCHITECTURES = {  # depth: (block, blocks per stage), Table 1 of He et al. 2015
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}


def _check_choice(name, value, choices):
    if value not in choices:
        options = "; ".join(f"{k!r} = {v}" for k, v in choices.items())
        raise ValueError(f"{name} must be one of: {options}; got {value!r}")
    return value


class ResNet(nn.Module):
    """ResNet for ImageNet: ``conv1, bn1, relu, maxpool, layer1..4, avgpool, fc`` as in torchvision."""

    def __init__(self, block: Type[Union[BasicBlock, Bottleneck]], layers: Sequence[int], num_classes: int = 1000,
                 zero_init_residual: bool = False, variant: str = "v1.5", stem: str = "imagenet"):
        super().__init__()
        self.variant = _check_choice("variant", variant, VARIANTS)
        self.stem = _check_choice("stem", stem, STEMS)
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        self.block, self.layers = block, tuple(layers)
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        else:
            self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        channels = 64
        for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers), start=1):
            stage_blocks = []
            for i in range(blocks):
                stride = 2 if (stage > 1 and i == 0) else 1
                extra = {"stride_in_1x1": variant == "v1"} if block is Bottleneck else {}
                stage_blocks.append(block(channels, planes, stride, shortcut="B", **extra))
                channels = planes * block.expansion
            setattr(self, f"layer{stage}", nn.Sequential(*stage_blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(channels, num_classes)
        self._init_weights(zero_init_residual)

    def _init_weights(self, zero_init_residual: bool) -> None:
        """torchvision's initialisation; ``zero_init_residual`` zeroes each block's last BN weight,
        so that every block starts as the identity (Goyal et al. 2017)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.zeros_(m.bn3.weight)
                elif isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def stem_forward(self, x: torch.Tensor) -> torch.Tensor:
        """conv1 -> bn1 -> relu -> maxpool."""
        return self.maxpool(self.relu(self.bn1(self.conv1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, 3, self.conv1.weight.dtype)
        x = self.stem_forward(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))

    def extra_repr(self) -> str:
        return f"layers={list(self.layers)}, variant={self.variant!r}, stem={self.stem!r}"


def imagenet_resnet(depth: int, *, num_classes: int = 1000, variant: str = "v1.5",
                    zero_init_residual: bool = False, stem: str = "imagenet") -> ResNet:
    """ResNet-``depth`` for depth in 18, 34, 50, 101, 152 (Table 1 of the paper)."""
    if depth not in ARCHITECTURES:
        raise ValueError(f"the ImageNet ResNets have depth 18, 34, 50, 101 or 152; got {depth!r}")
    block, layers = ARCHITECTURES[depth]
    return ResNet(block, layers, num_classes=num_classes, zero_init_residual=zero_init_residual,
                  variant=variant, stem=stem)
