"""The models of the course: He et al. 2015's CIFAR nets (plain and residual) and ImageNet ResNets.

``get_model("resnet56")``, ``get_model("plain20", shortcut="B")``, ``get_model("resnet50")``;
``list_models()`` names them; ``count_parameters(model)`` counts their parameters.
"""
from torch import nn

from resnet_lab.models.blocks import (SHORTCUTS, BasicBlock, Bottleneck, ZeroPadShortcut, check_input, conv1x1, conv3x3,
                                      make_shortcut, projection_shortcut)
from resnet_lab.models.cifar import CifarResNet, check_depth, cifar_resnet, nearest_valid_depths
from resnet_lab.models.units import INITS, PLACEMENTS, Unit, UnitNet, unit_net
from resnet_lab.models.imagenet import ARCHITECTURES, STEMS, VARIANTS, ResNet, imagenet_resnet
from resnet_lab.models.registry import (MODELS, check_model_name, cifar_depth, cifar_family, get_model, imagenet_net_note, is_cifar_family,
                                        is_imagenet_net, list_models)


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (each shared tensor counted once); buffers such as BN running means excluded."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


plain20, resnet20 = MODELS["plain20"], MODELS["resnet20"]
plain32, resnet32 = MODELS["plain32"], MODELS["resnet32"]
plain44, resnet44 = MODELS["plain44"], MODELS["resnet44"]
plain56, resnet56 = MODELS["plain56"], MODELS["resnet56"]
plain110, resnet110 = MODELS["plain110"], MODELS["resnet110"]
resnet1202 = MODELS["resnet1202"]
preresnet20, preresnet56, preresnet110 = MODELS["preresnet20"], MODELS["preresnet56"], MODELS["preresnet110"]
preresnet164, preresnet1001 = MODELS["preresnet164"], MODELS["preresnet1001"]
resnet18, resnet34, resnet50 = MODELS["resnet18"], MODELS["resnet34"], MODELS["resnet50"]
resnet101, resnet152 = MODELS["resnet101"], MODELS["resnet152"]
resnet18_cifar, resnet50_cifar = MODELS["resnet18_cifar"], MODELS["resnet50_cifar"]

__all__ = ["get_model", "list_models", "is_cifar_family", "cifar_depth", "cifar_family", "Unit", "UnitNet", "unit_net",
           "PLACEMENTS", "INITS", "is_imagenet_net", "check_model_name", "imagenet_net_note",
           "count_parameters", "cifar_resnet", "imagenet_resnet",
           "CifarResNet", "ResNet", "BasicBlock", "Bottleneck", "ZeroPadShortcut", "projection_shortcut",
           "make_shortcut", "conv1x1", "conv3x3", "check_input", "check_depth", "nearest_valid_depths",
           "SHORTCUTS", "VARIANTS", "STEMS", "ARCHITECTURES", "MODELS",
           "plain20", "resnet20", "plain32", "resnet32", "plain44", "resnet44", "plain56", "resnet56",
           "plain110", "resnet110", "resnet1202", "preresnet20", "preresnet56", "preresnet110", "preresnet164",
           "preresnet1001", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
           "resnet18_cifar", "resnet50_cifar"]
