"""Checkers for notebook 04's exercises: a Bottleneck block, an option-A shortcut, and a hand count.

Each checker prints and returns a :class:`resnet_lab.checks.Check`: "Correct: ..." or "Not yet: ..." with what
to fix; ``check.passed`` is a bool. An answer that still raises ``NotImplementedError`` reads "Not yet" too.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

import torch
from torch import nn

from resnet_lab.checks import (Check, as_number, as_tensor, call_learner, checker, describe, largest_difference,
                               randomise_batch_norms)
from resnet_lab.lessons.building.architecture import multiply_adds
from resnet_lab.models import Bottleneck, ZeroPadShortcut

BOTTLENECK_CASES = ((64, 64, 1), (256, 64, 1), (256, 128, 2), (1024, 512, 2))
ZERO_PAD_CASES = ((16, 16, 1), (16, 32, 2), (32, 64, 2))


@checker
def check_bottleneck(block_class: Callable[..., nn.Module], atol: float = 1e-5) -> Check:
    """Compare ``block_class(in_channels, planes, stride)`` with :class:`resnet_lab.models.Bottleneck`.

    The learner's block must name its layers as torchvision does (``conv1, bn1, conv2, bn2, conv3, bn3``
    and, where the shape changes, ``downsample = nn.Sequential(conv 1x1, BatchNorm2d)``). The reference's
    weights are loaded into it, and both are run, in eval and in train mode, on the same random input.
    """
    generator = torch.Generator().manual_seed(0)
    name = getattr(block_class, "__name__", "your block")
    for in_channels, planes, stride in BOTTLENECK_CASES:
        case = f"{name}({in_channels}, {planes}, stride={stride})"
        torch.manual_seed(0)
        ours = call_learner(block_class, in_channels, planes, stride, what=case)
        if not isinstance(ours, nn.Module):
            return Check(False, f"{case} should build an nn.Module; got {describe(ours)}")
        reference = Bottleneck(in_channels, planes, stride)
        randomise_batch_norms(reference, generator)
        expected, got = reference.state_dict(), ours.state_dict()
        if set(expected) != set(got):   # the order layers are defined in does not matter
            missing = [k for k in expected if k not in got]
            unexpected = [k for k in got if k not in expected]
            return Check(False, f"{case}: parameter names differ from the reference.\n  missing: {missing}\n"
                                f"  unexpected: {unexpected}\n  (use conv1, bn1, conv2, bn2, conv3, bn3 and, only "
                                f"where the shape changes, downsample = nn.Sequential(1x1 conv, BatchNorm2d))")
        wrong = [f"{k}: {tuple(got[k].shape)} instead of {tuple(expected[k].shape)}"
                 for k in expected if got[k].shape != expected[k].shape]
        if wrong:
            return Check(False, f"{case}: wrong shapes:\n  " + "\n  ".join(wrong))
        ours.load_state_dict(expected)
        size = 14 if in_channels >= 1024 else 28
        x = torch.randn(2, in_channels, size, size, generator=generator)
        for mode in ("eval", "train"):
            reference.train(mode == "train")
            ours.train(mode == "train")
            with torch.no_grad():
                want = reference(x)
                have = call_learner(ours, x.clone(), what=f"{case}, {mode} mode, on an input of shape {list(x.shape)}")
            have = as_tensor(have, want.shape, what=f"the output of {case} ({mode} mode)")
            difference = largest_difference(have, want)
            if difference > atol:
                return Check(False, f"{case}, {mode} mode: outputs differ from the reference by up to "
                                    f"{difference:.3g} (tolerance {atol}). Check the order conv -> BN -> ReLU, that "
                                    "the last ReLU comes after the addition, and which convolution carries the "
                                    "stride (the 3x3 one).")
    return Check(True, f"{name} matches the reference on {len(BOTTLENECK_CASES)} shapes, in eval and train mode.")


@checker
def check_zero_pad_shortcut(shortcut: Callable[[torch.Tensor, int, int], torch.Tensor]) -> Check:
    """Compare ``shortcut(x, out_channels, stride)`` with option A of the paper (subsample, zero-pad)."""
    generator = torch.Generator().manual_seed(0)
    for in_channels, out_channels, stride in ZERO_PAD_CASES:
        case = f"{in_channels} -> {out_channels} channels, stride {stride}"
        x = torch.randn(2, in_channels, 16, 16, generator=generator)
        want = ZeroPadShortcut(in_channels, out_channels, stride)(x)
        got = call_learner(shortcut, x.clone(), out_channels, stride, what=f"the shortcut ({case})")
        got = as_tensor(got, want.shape, what=f"the shortcut's output ({case}, input {list(x.shape)})")
        if not torch.equal(got, want):
            return Check(False, f"{case}: right shape, wrong values (keep pixels 0, 2, 4, ... and put the zero "
                                "channels after the input's channels)")
    return Check(True, "a parameter-free shortcut that subsamples and zero-pads channels, as option A.")


@lru_cache(maxsize=None)
def v1_v15_difference() -> int:
    """Extra multiply-adds of ResNet-50 v1.5 over v1 at 224x224 (the reference answer)."""
    return multiply_adds("resnet50") - multiply_adds("resnet50", variant="v1")


@checker
def check_v1_v15_difference(answer) -> Check:
    """Check a hand count of the multiply-adds ResNet-50 v1.5 spends beyond v1 (one 224x224 image)."""
    count = as_number(answer, what="`answer` (your count of multiply-adds)", integer=True)
    want = v1_v15_difference()
    if count == want:
        return Check(True, f"{want:,} multiply-adds, exactly the difference FlopCounterMode measures.")
    hint = ("count only the convolutions whose cost changes: in the first block of layer2, layer3 and layer4, "
            "the first 1x1 convolution runs at the input's resolution in v1.5 and at half of it in v1; "
            "the 3x3 convolution's output has the same size in both")
    return Check(False, f"{count:,} is {'too high' if count > want else 'too low'} for the measured difference. "
                        f"Hint: {hint}.")
