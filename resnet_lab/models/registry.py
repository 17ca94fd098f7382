"""Model names -> builders: ``get_model("resnet56")``, ``list_models()``, with helpful errors.

Names follow the paper. ``plain{d}`` / ``resnet{d}`` with d = 6n+2 are the CIFAR
nets (any such depth builds, e.g. ``resnet1202``); ``resnet18/34/50/101/152`` are
the ImageNet nets; ``resnet18_cifar`` and ``resnet50_cifar`` are ImageNet nets with
a CIFAR stem and 10 classes.
"""
from __future__ import annotations

import difflib
import re
from typing import Callable, Dict, List

from torch import nn

from resnet_lab.models.cifar import check_depth, cifar_resnet
from resnet_lab.models.imagenet import ARCHITECTURES, imagenet_resnet

CIFAR_OPTIONS = {"shortcut": "'A' (default) or 'B'", "width": "filters of the first stage, default 16",
                 "num_classes": "default 10", "batchnorm": "default True"}
IMAGENET_OPTIONS = {"num_classes": "default 1000", "variant": "'v1.5' (default) or 'v1'",
                    "zero_init_residual": "default False", "stem": "'imagenet' (default) or 'cifar'"}
IMAGENET_CIFAR_OPTIONS = {"num_classes": "default 10", "variant": "'v1.5' (default) or 'v1'",
                          "zero_init_residual": "default False"}

CIFAR_DEPTHS = (20, 32, 44, 56, 110)


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
for _d in ARCHITECTURES:
    MODELS[f"resnet{_d}"] = _imagenet_builder(_d)
MODELS["resnet18_cifar"] = _imagenet_builder(18, cifar_stem=True)
MODELS["resnet50_cifar"] = _imagenet_builder(50, cifar_stem=True)

_NAME = re.compile(r"(plain|resnet)(\d+)")


def is_cifar_family(name: str) -> bool:
    """True for the 6n+2 CIFAR nets of He et al. 2015 (``plain20``, ``resnet56``...), whose width a recipe sets."""
    key = str(name).strip().lower()
    return bool(_NAME.fullmatch(key)) and not (key.startswith("resnet") and int(key[6:]) in ARCHITECTURES)


def list_models() -> List[str]:
    """The named models, CIFAR nets first (other 6n+2 depths such as ``resnet26`` also build)."""
    return list(MODELS)


def get_model(name: str, **options) -> nn.Module:
    """Build a model by name, e.g. ``get_model("resnet56", shortcut="B")`` or ``get_model("resnet50")``."""
    if not isinstance(name, str):
        raise TypeError(f"model name must be a string such as 'resnet56', got {name!r}")
    key = name.strip().lower()
    if key in MODELS:
        return MODELS[key](**options)
    match = _NAME.fullmatch(key)
    if match:
        family, depth = match.group(1), int(match.group(2))
        try:
            check_depth(depth)
        except ValueError as error:
            extra = ""
            if family == "plain" and depth in ARCHITECTURES:
                extra = f" (the ImageNet nets resnet{depth} are residual only)"
            raise ValueError(f"{name!r}: {error}{extra}") from None
        return _cifar_builder(depth, residual=(family == "resnet"))(**options)
    close = difflib.get_close_matches(key, list(MODELS), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else "."
    raise ValueError(f"unknown model {name!r}{hint} Known models: {', '.join(MODELS)} "
                     "(and plain/resnet of any other depth 6n+2)")
