"""Checkers for notebook 04's exercises: a Bottleneck block, an option-A shortcut, and a hand count.

Each checker prints what it found and returns True when the answer is right. An answer that still
raises ``NotImplementedError`` is reported as "not attempted yet", not as an error.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

import torch
from torch import nn

from resnet_lab.models import Bottleneck, ZeroPadShortcut

BOTTLENECK_CASES = ((64, 64, 1), (256, 64, 1), (256, 128, 2), (1024, 512, 2))


def _randomise_batch_norms(module: nn.Module, generator: torch.Generator) -> None:
    """Give every batch norm non-trivial weights and running statistics, as after training."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=generator))
                m.bias.copy_(torch.rand(c, generator=generator) - 0.5)
                m.running_mean.copy_(torch.rand(c, generator=generator) - 0.5)
                m.running_var.copy_(0.5 + torch.rand(c, generator=generator))


def check_bottleneck(block_class: Callable[..., nn.Module], atol: float = 1e-5) -> bool:
    """Compare ``block_class(in_channels, planes, stride)`` with :class:`resnet_lab.models.Bottleneck`.

    The learner's block must name its layers as torchvision does (``conv1, bn1, conv2, bn2, conv3, bn3``
    and, where the shape changes, ``downsample = nn.Sequential(conv 1x1, BatchNorm2d)``). The reference's
    weights are loaded into it, and both are run, in eval and in train mode, on the same random input.
    """
    generator = torch.Generator().manual_seed(0)
    for in_channels, planes, stride in BOTTLENECK_CASES:
        case = f"{block_class.__name__}({in_channels}, {planes}, stride={stride})"
        try:
            torch.manual_seed(0)
            ours = block_class(in_channels, planes, stride)
        except NotImplementedError:
            print(f"Not attempted yet: {case} raises NotImplementedError.")
            return False
        reference = Bottleneck(in_channels, planes, stride)
        _randomise_batch_norms(reference, generator)
        expected, got = reference.state_dict(), ours.state_dict()
        if list(expected) != list(got):
            missing = [k for k in expected if k not in got]
            unexpected = [k for k in got if k not in expected]
            print(f"{case}: parameter names differ from the reference.\n  missing: {missing}\n"
                  f"  unexpected: {unexpected}\n  (use conv1, bn1, conv2, bn2, conv3, bn3 and, only where the "
                  f"shape changes, downsample = nn.Sequential(1x1 conv, BatchNorm2d))")
            return False
        wrong = [f"{k}: {tuple(got[k].shape)} instead of {tuple(expected[k].shape)}"
                 for k in expected if got[k].shape != expected[k].shape]
        if wrong:
            print(f"{case}: wrong shapes:\n  " + "\n  ".join(wrong))
            return False
        ours.load_state_dict(expected)
        size = 14 if in_channels >= 1024 else 28
        x = torch.randn(2, in_channels, size, size, generator=generator)
        for mode in ("eval", "train"):
            reference.train(mode == "train")
            ours.train(mode == "train")
            with torch.no_grad():
                want, have = reference(x), ours(x)
            if have.shape != want.shape:
                print(f"{case}: output shape {tuple(have.shape)}, expected {tuple(want.shape)} "
                      f"(input {tuple(x.shape)})")
                return False
            difference = (have - want).abs().max().item()
            if difference > atol:
                print(f"{case}, {mode} mode: outputs differ from the reference by up to {difference:.3g} "
                      f"(tolerance {atol}). Check the order conv -> BN -> ReLU, that the last ReLU comes "
                      f"after the addition, and which convolution carries the stride (the 3x3 one).")
                return False
    print(f"Correct: {block_class.__name__} matches the reference on {len(BOTTLENECK_CASES)} shapes, "
          f"in eval and train mode.")
    return True


def check_zero_pad_shortcut(shortcut: Callable[[torch.Tensor, int, int], torch.Tensor]) -> bool:
    """Compare ``shortcut(x, out_channels, stride)`` with option A of the paper (subsample, zero-pad)."""
    generator = torch.Generator().manual_seed(0)
    for in_channels, out_channels, stride in ((16, 16, 1), (16, 32, 2), (32, 64, 2)):
        x = torch.randn(2, in_channels, 16, 16, generator=generator)
        try:
            got = shortcut(x, out_channels, stride)
        except NotImplementedError:
            print("Not attempted yet: the shortcut raises NotImplementedError.")
            return False
        want = ZeroPadShortcut(in_channels, out_channels, stride)(x)
        if tuple(got.shape) != tuple(want.shape):
            print(f"{in_channels} -> {out_channels} channels, stride {stride}: shape {tuple(got.shape)}, "
                  f"expected {tuple(want.shape)}")
            return False
        if not torch.equal(got, want):
            print(f"{in_channels} -> {out_channels} channels, stride {stride}: right shape, wrong values "
                  f"(keep pixels 0, 2, 4, ... and put the zero channels after the input's channels)")
            return False
    print("Correct: a parameter-free shortcut that subsamples and zero-pads channels, as option A.")
    return True


@lru_cache(maxsize=None)
def v1_v15_difference() -> int:
    """Extra multiply-adds of ResNet-50 v1.5 over v1 at 224x224 (the reference answer)."""
    from resnet_lab.lessons.building.architecture import multiply_adds

    return multiply_adds("resnet50") - multiply_adds("resnet50", variant="v1")


def check_v1_v15_difference(answer) -> bool:
    """Check a hand count of the multiply-adds ResNet-50 v1.5 spends beyond v1 (one 224x224 image)."""
    if answer is None or answer is ...:
        print("Not attempted yet: set `answer` to your count (an integer number of multiply-adds).")
        return False
    want = v1_v15_difference()
    if int(answer) == want:
        print(f"Correct: {want:,} multiply-adds, exactly the difference FlopCounterMode measures.")
        return True
    hint = ("count only the convolutions whose cost changes: in the first block of layer2, layer3 and layer4, "
            "the first 1x1 convolution runs at the input's resolution in v1.5 and at half of it in v1; "
            "the 3x3 convolution's output has the same size in both")
    print(f"Not quite: {int(answer):,} vs the measured difference ({'too high' if answer > want else 'too low'}). "
          f"Hint: {hint}.")
    return False
