"""Model names -> builders: ``get_model("resnet56")``, ``list_models()``, with helpful errors.

Names follow the paper, and the paper uses the same word for two families:

- ``plain{d}`` / ``resnet{d}`` with d = 6n+2 (20, 32, 44, 56, 110, ..., any such depth builds, e.g.
  ``resnet1202``) are the CIFAR nets of section 4.2: 16-32-64 filters, 10 classes, 0.27M (d = 20) to 1.7M
  (d = 110) parameters, for 32 x 32 images.
- ``resnet18``, ``resnet34``, ``resnet50``, ``resnet101``, ``resnet152`` are the ImageNet nets of Table 1:
  64-512 filters (x4 in the bottlenecks), 1000 classes, 11.7M to 60.2M parameters (ResNet-50: 25.6M), with a
  stem (7x7 convolution at stride 2, max-pool) built for 224 x 224 images.
- ``resnet18_cifar`` and ``resnet50_cifar`` are those ImageNet nets with a CIFAR stem (3x3 convolution at stride
  1, no max-pool) and 10 classes (11.2M and 23.5M parameters).

- ``preresnet{d}`` are the nets of He et al. 2016 ("Identity mappings"), made of :class:`~resnet_lab.models.units.Unit`
  s with the activation placed by the option ``placement`` (default ``"full_preact"``, the pre-activation unit;
  ``"original"`` gives exactly ``resnet{d}``): basic units for d = 6n+2 (``preresnet110``, 1.7M parameters),
  bottleneck units for d = 9n+2 (``preresnet164``, 1.7M, and ``preresnet1001``, 10.3M). Options ``init``
  (``"he"``, ``"zero_last"``, ``"skipinit"``, ``"fixup"``), ``batchnorm`` and ``residual`` give the nets trained
  without normalisation.

The trap: 50 and 152 are of the form 6n+2 too, so ``plain50`` and ``plain152`` build CIFAR nets (0.76M and
2.4M parameters), while ``resnet50`` and ``resnet152`` are the ImageNet nets, not their residual twins. For
CIFAR-10 use a 6n+2 net (``resnet56``, ``resnet110``) or a ``_cifar`` net; :func:`imagenet_net_note` says so
when an ImageNet net is asked to train on CIFAR-10. ``width`` and ``shortcut`` are options of the 6n+2 nets only.
"""
from __future__ import annotations

import difflib
import re
from typing import Callable, Dict, List, Optional

import torch
from torch import nn

from resnet_lab.models.cifar import check_depth, cifar_resnet
from resnet_lab.models.imagenet import ARCHITECTURES, imagenet_resnet
from resnet_lab.models.units import unit_net

CIFAR_OPTIONS = {"shortcut": "'A' (default) or 'B'", "width": "filters of the first stage, default 16",
                 "num_classes": "default 10", "batchnorm": "default True"}
IMAGENET_OPTIONS = {"num_classes": "default 1000", "variant": "'v1.5' (default) or 'v1'",
                    "zero_init_residual": "default False", "stem": "'imagenet' (default) or 'cifar'"}
IMAGENET_CIFAR_OPTIONS = {"num_classes": "default 10", "variant": "'v1.5' (default) or 'v1'",
                          "zero_init_residual": "default False"}

UNIT_OPTIONS = {"placement": "'full_preact' (default), 'original', 'bn_after_add', 'relu_before_add' or "
                "'relu_preact'", "init": "'he' (default), 'zero_last', 'skipinit' or 'fixup'",
                "batchnorm": "default True", "residual": "default True", "shortcut": "'A' (basic) or 'B' (bottleneck)",
                "width": "filters of the first stage, default 16", "num_classes": "default 10",
                "block": "'basic' (6n+2) or 'bottleneck' (9n+2)"}

CIFAR_DEPTHS = (20, 32, 44, 56, 110)
PREACT_DEPTHS = (20, 56, 110, 164, 1001)


def check_options(name: str, options: dict, valid: Dict[str, str]) -> None:
    """A TypeError listing the valid options when ``options`` has a key ``name`` does not take."""
    unknown = [k for k in options if k not in valid]
    if unknown:
        hints = []
        for k in unknown:
            close = difflib.get_close_matches(k, list(valid), n=1)
            hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        listing = ", ".join(f"{k} ({v})" for k, v in valid.items())
        raise TypeError(f"{name} got unknown option(s) {', '.join(hints)}; valid options: {listing}")


def _cifar_builder(depth: int, residual: bool) -> Callable[..., nn.Module]:
    name = f"{'resnet' if residual else 'plain'}{depth}"

    def build(**options) -> nn.Module:
        check_options(name, options, CIFAR_OPTIONS)
        return cifar_resnet(depth, residual, **options)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"{'Residual' if residual else 'Plain'} {depth}-layer CIFAR net of He et al. 2015 "
                     f"(n={(depth - 2) // 6}). Options: {', '.join(CIFAR_OPTIONS)}.")
    return build


def _unit_builder(depth: int) -> Callable[..., nn.Module]:
    name = f"preresnet{depth}"

    def build(**options) -> nn.Module:
        check_options(name, options, UNIT_OPTIONS)
        return unit_net(depth, **options)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"{depth}-layer CIFAR net of He et al. 2016's units (default: full pre-activation). "
                     f"Options: {', '.join(UNIT_OPTIONS)}.")
    return build


def _imagenet_builder(depth: int, cifar_stem: bool = False) -> Callable[..., nn.Module]:
    name = f"resnet{depth}" + ("_cifar" if cifar_stem else "")
    valid = IMAGENET_CIFAR_OPTIONS if cifar_stem else IMAGENET_OPTIONS

    def build(**options) -> nn.Module:
        check_options(name, options, valid)
        if cifar_stem:
            options = {"num_classes": 10, **options, "stem": "cifar"}
        return imagenet_resnet(depth, **options)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"ResNet-{depth} of He et al. 2015, torchvision-compatible"
                     + (", with a CIFAR stem (3x3 conv stride 1, no max-pool) and 10 classes" if cifar_stem else "")
                     + f". Options: {', '.join(valid)}.")
    return build


MODELS: Dict[str, Callable[..., nn.Module]] = {}
for _d in CIFAR_DEPTHS:
    MODELS[f"plain{_d}"] = _cifar_builder(_d, residual=False)
    MODELS[f"resnet{_d}"] = _cifar_builder(_d, residual=True)
MODELS["resnet1202"] = _cifar_builder(1202, residual=True)
for _d in PREACT_DEPTHS:
    MODELS[f"preresnet{_d}"] = _unit_builder(_d)
for _d in ARCHITECTURES:
    MODELS[f"resnet{_d}"] = _imagenet_builder(_d)
MODELS["resnet18_cifar"] = _imagenet_builder(18, cifar_stem=True)
MODELS["resnet50_cifar"] = _imagenet_builder(50, cifar_stem=True)

_NAME = re.compile(r"(plain|resnet|preresnet)(\d+)")


def is_cifar_family(name: str) -> bool:
    """True for the 6n+2 CIFAR nets of He et al. 2015 (``plain20``, ``resnet56``...), whose width a recipe sets."""
    key = str(name).strip().lower()
    return bool(_NAME.fullmatch(key)) and not is_imagenet_net(key)


def cifar_depth(name: str) -> Optional[int]:
    """The depth of a CIFAR 6n+2 net (``resnet110`` -> 110), None for any other model."""
    key = str(name).strip().lower()
    return int(_NAME.fullmatch(key).group(2)) if is_cifar_family(key) else None


def cifar_family(name: str) -> Optional[str]:
    """``"plain"``, ``"resnet"`` or ``"preresnet"`` for a CIFAR net (``preresnet164`` -> ``"preresnet"``), else None."""
    key = str(name).strip().lower()
    return _NAME.fullmatch(key).group(1) if is_cifar_family(key) else None


def list_models() -> List[str]:
    """The named models, CIFAR nets first (other 6n+2 depths such as ``resnet26`` also build)."""
    return list(MODELS)


def check_model_name(name: str) -> str:
    """The registry key of ``name`` (e.g. ``"resnet56"``), without building it; a ValueError for an unknown name
    says which names exist and which are close."""
    if not isinstance(name, str):
        raise TypeError(f"model name must be a string such as 'resnet56', got {name!r}")
    key = name.strip().lower()
    if key in MODELS:
        return key
    match = _NAME.fullmatch(key)
    if match and match.group(1) == "preresnet":
        depth = int(match.group(2))
        if (depth - 2) % 6 and (depth - 2) % 9 or depth < 8:
            raise ValueError(f"{name!r}: the pre-activation CIFAR nets have depth 6n+2 (basic units: 20, 56, 110, "
                             f"...) or 9n+2 (bottleneck units: 164, 1001, ...); {depth} is neither")
        return key
    if match:
        family, depth = match.group(1), int(match.group(2))
        try:
            check_depth(depth)
        except ValueError as error:
            extra = ""
            if family == "plain" and depth in ARCHITECTURES:
                extra = f" (the ImageNet nets resnet{depth} are residual only)"
            raise ValueError(f"{name!r}: {error}{extra}") from None
        return key
    close = difflib.get_close_matches(key, list(MODELS), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else "."
    raise ValueError(f"unknown model {name!r}{hint} Known models: {', '.join(MODELS)} "
                     "(and plain/resnet of any other depth 6n+2)")


def get_model(name: str, **options) -> nn.Module:
    """Build a model by name, e.g. ``get_model("resnet56", shortcut="B")`` or ``get_model("resnet50")``."""
    key = check_model_name(name)
    if key in MODELS:
        return MODELS[key](**options)
    family, depth = _NAME.fullmatch(key).groups()
    if family == "preresnet":
        return _unit_builder(int(depth))(**options)
    return _cifar_builder(int(depth), residual=(family == "resnet"))(**options)


def is_imagenet_net(name: str) -> bool:
    """True for the ImageNet nets ``resnet18/34/50/101/152`` (with the ImageNet stem and 1000 classes)."""
    key = str(name).strip().lower()
    return key.startswith("resnet") and key[6:].isdigit() and int(key[6:]) in ARCHITECTURES


def imagenet_net_note(name: str) -> Optional[str]:
    """For an ImageNet net (``resnet18/34/50/101/152``): what it is, and the nets to train on CIFAR-10 instead;
    None for any other name."""
    if not is_imagenet_net(name):
        return None
    key = str(name).strip().lower()
    depth = int(key[6:])
    with torch.device("meta"):  # counts the parameters without allocating them
        count = {n: sum(p.numel() for p in get_model(n).parameters())
                 for n in (key, "resnet18_cifar", "resnet50_cifar", "resnet56", f"plain{depth}")
                 if n != f"plain{depth}" or check_depth_ok(depth)}
    twin = (f" (plain{depth}, by contrast, is a 6n+2 CIFAR net of {count[f'plain{depth}']:,} parameters, not a "
            f"plain twin of {key}.)" if f"plain{depth}" in count else "")
    return (f"{key} is the ImageNet ResNet-{depth} of He et al. 2015: {count[key]:,} parameters and 1000 output "
            "classes, with a stem (7x7 convolution at stride 2, then max-pooling) made for 224 x 224 images that "
            "shrinks a 32 x 32 CIFAR-10 image to 8 x 8 before the first block. For CIFAR-10 use resnet18_cifar or "
            "resnet50_cifar (the ImageNet nets with a CIFAR stem and 10 classes: "
            f"{count['resnet18_cifar']:,} and {count['resnet50_cifar']:,} parameters), or a CIFAR net of depth 6n+2 "
            f"such as resnet56 ({count['resnet56']:,} parameters).{twin}")


def check_depth_ok(depth: int) -> bool:
    """True when ``depth`` is of the form 6n+2 (n >= 1), the depths of the CIFAR nets."""
    return depth >= 8 and (depth - 2) % 6 == 0
