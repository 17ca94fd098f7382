"""Table 1 of He et al. 2015, regenerated from the code: stage shapes, parameters, multiply-adds.

Multiply-adds are counted by :class:`torch.utils.flop_counter.FlopCounterMode`, which
counts the convolutions and the final matrix multiply and reports 2 FLOPs per
multiply-add (one multiply, one add). The paper's "FLOPs" and torchvision's
"GFLOPS" are multiply-adds, so we report ``flops / 2``. Batch norm, ReLU, pooling
and the shortcut additions are not counted (by either).

All counting runs on the ``meta`` device: tensors with shapes and no data, so the
whole of Table 1 takes well under a second and no memory.
"""
from __future__ import annotations

import copy
import types
from collections import Counter
from typing import Dict, List, Optional, Sequence, Union

import torch
import torchvision.models as tvm
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from resnet_lab.models import ARCHITECTURES, BasicBlock, Bottleneck, count_parameters, get_model

# Table 1 of He et al. 2015 (arXiv:1512.03385), "FLOPs" row, x 10^9 multiply-adds.
PAPER_GFLOPS = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}
STAGES = ("conv1", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc")


def _as_meta(model_or_name: Union[str, nn.Module], **options) -> nn.Module:
    if isinstance(model_or_name, str):
        with torch.device("meta"):
            return get_model(model_or_name, **options)
    if options:
        raise TypeError("options are only used with a model name, not with a built model")
    return copy.deepcopy(model_or_name).to("meta")


def _size(input_size) -> tuple:
    return (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)


def flops_and_shapes(model_or_name, input_size=224, in_channels: int = 3, **options):
    """One forward pass of one image on the meta device, counted by FlopCounterMode.

    Returns ``(flops, shapes)``: FLOPs (2 per multiply-add) per module path ("" for the whole model,
    "layer1", "layer1.0.conv1", ...) and the output shape of each top-level stage (without the batch).
    """
    model = _as_meta(model_or_name, **options).eval()
    shapes = {}
    hooks = [getattr(model, name).register_forward_hook(
        lambda module, inputs, output, name=name: shapes.__setitem__(name, tuple(output.shape[1:])))
        for name in STAGES if isinstance(getattr(model, name, None), nn.Module)]
    counter = FlopCounterMode(display=False)
    try:
        with counter:
            model(torch.empty(1, in_channels, *_size(input_size), device="meta"))
    finally:
        for hook in hooks:
            hook.remove()
    flops = {}
    for key, ops in counter.get_flop_counts().items():
        if key == "Global":
            flops[""] = sum(ops.values())
        elif "." in key:
            flops[key.split(".", 1)[1]] = sum(ops.values())
    return flops, shapes


def multiply_adds(model_or_name, input_size=224, in_channels: int = 3, **options) -> int:
    """Multiply-adds of one forward pass on one image: FlopCounterMode's FLOPs divided by 2."""
    return flops_and_shapes(model_or_name, input_size, in_channels, **options)[0][""] // 2


def projection_multiply_adds(model_or_name, input_size=224, **options) -> int:
    """Multiply-adds of the projection shortcuts (the ``downsample`` 1x1 convolutions, option B) on one image."""
    flops = flops_and_shapes(model_or_name, input_size, **options)[0]
    return sum(v for k, v in flops.items() if k.endswith(".downsample")) // 2


def stage_shapes(model_or_name, input_size=224, **options) -> List[dict]:
    """Output shape, parameters and multiply-adds of each top-level stage of a ResNet, for one image.

    Rows for ``conv1`` (with its BN and ReLU), ``maxpool``, ``layer1..4``, ``avgpool`` and ``fc``
    (CIFAR nets: ``conv1``, ``layer1..3``, ``avgpool``, ``fc``).
    """
    model = _as_meta(model_or_name, **options)
    flops, shapes = flops_and_shapes(model, input_size)
    rows = []
    for name in STAGES:
        module = getattr(model, name, None)
        if not isinstance(module, nn.Module) or isinstance(module, nn.Identity):
            continue
        params = count_parameters(module) + (count_parameters(model.bn1) if name == "conv1" else 0)
        rows.append({"stage": name, "blocks": len(module) if isinstance(module, nn.Sequential) else None,
                     "output": shapes[name], "params": params, "multiply_adds": flops.get(name, 0) // 2})
    return rows


def format_stage_shapes(rows: Sequence[dict]) -> str:
    """The rows of :func:`stage_shapes` as a fixed-width text table."""
    lines = [f"{'stage':<8} {'blocks':>6}  {'output C x H x W':<18} {'parameters':>12} {'multiply-adds':>15}"]
    for r in rows:
        shape = " x ".join(str(s) for s in r["output"])
        blocks = "" if r["blocks"] is None else str(r["blocks"])
        lines.append(f"{r['stage']:<8} {blocks:>6}  {shape:<18} {r['params']:>12,} {r['multiply_adds']:>15,}")
    lines.append(f"{'total':<8} {'':>6}  {'':<18} {sum(r['params'] for r in rows):>12,} "
                 f"{sum(r['multiply_adds'] for r in rows):>15,}")
    return "\n".join(lines)


def torchvision_published(depth: int) -> dict:
    """torchvision's published parameters and GFLOPS for ResNet-``depth``, read from its weights'
    metadata (``ResNet50_Weights.IMAGENET1K_V1.meta``) without downloading anything."""
    meta = getattr(tvm, f"ResNet{depth}_Weights").IMAGENET1K_V1.meta
    return {"params": meta["num_params"], "gflops": meta["_ops"]}


def table1(depths: Sequence[int] = tuple(ARCHITECTURES), input_size: int = 224) -> List[dict]:
    """One row per ImageNet ResNet: blocks per stage, stage output sizes, parameters, and
    multiply-adds counted for both variants, beside the paper's and torchvision's numbers."""
    rows = []
    for depth in depths:
        name = f"resnet{depth}"
        block, layers = ARCHITECTURES[depth]
        with torch.device("meta"):
            model = get_model(name)
        stages = stage_shapes(model, input_size)
        published = torchvision_published(depth)
        rows.append({
            "model": name, "block": block.__name__, "layers": tuple(layers),
            "outputs": {r["stage"]: r["output"] for r in stages},
            "params": count_parameters(model),
            "gmacs_v15": sum(r["multiply_adds"] for r in stages) / 1e9,
            "gmacs_v1": multiply_adds(name, input_size, variant="v1") / 1e9,
            "paper_gflops": PAPER_GFLOPS[depth],
            "torchvision_gflops": published["gflops"], "torchvision_params": published["params"],
        })
    return rows


def format_table1(rows: Sequence[dict]) -> str:
    """Table 1 as fixed-width text: our counts beside the paper's and torchvision's."""
    head = (f"{'model':<10} {'block':<10} {'blocks/stage':<13} {'parameters':>11} {'tv params':>11} "
            f"{'ours v1':>8} {'ours v1.5':>9} {'paper':>6} {'tv':>6}")
    lines = [head, f"{'':<47}{'(multiply-adds, x10^9, 224x224)':>50}"]
    for r in rows:
        layers = "-".join(str(n) for n in r["layers"])
        lines.append(f"{r['model']:<10} {r['block']:<10} {layers:<13} {r['params']:>11,} "
                     f"{r['torchvision_params']:>11,} {r['gmacs_v1']:>8.3f} {r['gmacs_v15']:>9.3f} "
                     f"{r['paper_gflops']:>6.1f} {r['torchvision_gflops']:>6.2f}")
    return "\n".join(lines)


def format_output_sizes(rows: Sequence[dict]) -> str:
    """The "output size" column of Table 1: H x W (channels) after each stage, per model."""
    stages = ("conv1", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc")
    lines = [f"{'model':<10} " + " ".join(f"{s:>14}" for s in stages)]
    for r in rows:
        cells = []
        for s in stages:
            shape = r["outputs"][s]
            cells.append(f"{shape[1]}x{shape[2]} ({shape[0]})" if len(shape) == 3 else f"({shape[0]})")
        lines.append(f"{r['model']:<10} " + " ".join(f"{c:>14}" for c in cells))
    return "\n".join(lines)


def block_cost(block: nn.Module, in_channels: int, size: int) -> dict:
    """Parameters and multiply-adds of one block on a ``in_channels x size x size`` input (one image).

    ``conv_params`` leaves out the batch norms, as the paper's complexity arguments do.
    """
    conv_params = sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.Conv2d))
    return {"params": count_parameters(block), "conv_params": conv_params,
            "multiply_adds": multiply_adds(block, size, in_channels)}


def randomise_batchnorm(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give every batch norm of ``model`` random (seeded) weight, bias, running mean and running variance, in place.

    At its default initialisation (weight 1, bias 0, mean 0, variance 1) an eval-mode batch norm only scales by
    the same positive number, which commutes with ReLU: a block with its ReLU before the batch norm would give the
    same outputs. With random statistics and affine parameters it does not.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                shape = m.num_features
                m.weight.copy_(1 + 0.5 * torch.randn(shape, generator=g))
                m.bias.copy_(0.5 * torch.randn(shape, generator=g))
                m.running_mean.copy_(0.5 * torch.randn(shape, generator=g))
                m.running_var.copy_(0.5 + torch.rand(shape, generator=g))
    return model


def _basic_relu_before_bn(block, x):
    return block.bn2(block.conv2(block.bn1(block.relu(block.conv1(x)))))


def _bottleneck_relu_before_bn(block, x):
    out = block.bn1(block.relu(block.conv1(x)))
    out = block.bn2(block.relu(block.conv2(out)))
    return block.bn3(block.conv3(out))


def relu_before_batchnorm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with a deliberate bug: in every block's residual branch, each ReLU comes before its
    batch norm instead of after it. Same layers, same state dict, different function."""
    broken = copy.deepcopy(model)
    for m in broken.modules():
        if isinstance(m, BasicBlock):
            m.residual_branch = types.MethodType(_basic_relu_before_bn, m)
        elif isinstance(m, Bottleneck):
            m.residual_branch = types.MethodType(_bottleneck_relu_before_bn, m)
    return broken


def compare_with_torchvision(name: str, input_size: int = 224, seed: int = 0,
                             ours: Optional[nn.Module] = None) -> dict:
    """Load a randomly initialised torchvision ResNet's weights into ours and compare.

    Every batch norm of torchvision's net first gets random (seeded) weight, bias, running mean and running
    variance (:func:`randomise_batchnorm`), so that a ReLU in the wrong place changes the outputs. Returns whether
    the state-dict keys and shapes are identical, and the largest absolute difference between the two models'
    outputs (eval mode) on one random image. ``ours``: the model to check (default: ``get_model(name)``).
    """
    torch.manual_seed(seed)
    theirs = randomise_batchnorm(getattr(tvm, name)(weights=None), seed).eval()
    ours = (get_model(name) if ours is None else ours).eval()
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    same_keys = list(ours_sd) == list(theirs_sd)
    same_shapes = same_keys and all(ours_sd[k].shape == theirs_sd[k].shape for k in ours_sd)
    ours.load_state_dict(theirs_sd, strict=True)
    x = torch.randn(1, 3, input_size, input_size)
    with torch.no_grad():
        difference = (ours(x) - theirs(x)).abs().max().item()
    return {"model": name, "tensors": len(ours_sd), "same_keys": same_keys, "same_shapes": same_shapes,
            "max_abs_difference": difference}


def stride_placement(name: str = "resnet50") -> List[tuple]:
    """The convolutions whose stride differs between ``variant="v1"`` and ``"v1.5"``: (name, v1, v1.5)."""
    with torch.device("meta"):
        v1, v15 = get_model(name, variant="v1"), get_model(name, variant="v1.5")
    return [(n, a.stride[0], b.stride[0]) for (n, a), (_, b) in zip(v1.named_modules(), v15.named_modules())
            if isinstance(a, nn.Conv2d) and a.stride != b.stride]


def trace_shapes(module: nn.Module, x: torch.Tensor, depth: int = 99) -> List[tuple]:
    """Run ``module`` on ``x`` and record, in call order, (name, layer, output shape, parameters)
    for every submodule at most ``depth`` levels down that has no children of its own at that depth."""
    calls, hooks = [], []
    for name, sub in module.named_modules():
        level = name.count(".") + 1 if name else 0
        if not name or level > depth or (level < depth and len(list(sub.children())) > 0):
            continue
        own = sum(p.numel() for p in sub.parameters())
        hooks.append(sub.register_forward_hook(
            lambda m, inputs, output, name=name, own=own:
            calls.append((name, type(m).__name__, tuple(output.shape), own))))
    try:
        with torch.no_grad():
            module(x)
    finally:
        for hook in hooks:
            hook.remove()
    return calls


def print_shapes(module: nn.Module, x: torch.Tensor, depth: int = 99) -> None:
    """Print :func:`trace_shapes` as a table, starting with the input's shape."""
    print(f"{'layer':<16} {'type':<18} {'output shape':<22} {'parameters':>10}")
    print(f"{'(input)':<16} {'':<18} {str(list(x.shape)):<22} {'':>10}")
    for name, kind, shape, params in trace_shapes(module, x, depth):
        print(f"{name:<16} {kind:<18} {str(list(shape)):<22} {params:>10,}")


def kernel_sizes(model_or_name, **options) -> Dict[str, int]:
    """How many convolutions of each kernel size a model has, largest kernel first.

    ``{"7x7": 1, "3x3": 16, "1x1": 36}`` for ResNet-50 (the 1x1 count includes its four projection shortcuts).
    """
    model = _as_meta(model_or_name, **options)
    counts = Counter(tuple(m.kernel_size) for m in model.modules() if isinstance(m, nn.Conv2d))
    return {f"{h}x{w}": n for (h, w), n in sorted(counts.items(), reverse=True)}


def resizing_convolutions(model_or_name, **options) -> List[tuple]:
    """Every convolution that changes the number of channels or the height and width, in forward order:
    ``(name, kernel, in_channels, out_channels, stride)``, the kernel written ``"3x3"``."""
    model = _as_meta(model_or_name, **options)
    return [(name, f"{m.kernel_size[0]}x{m.kernel_size[1]}", m.in_channels, m.out_channels, m.stride[0])
            for name, m in model.named_modules()
            if isinstance(m, nn.Conv2d) and (m.in_channels != m.out_channels or m.stride != (1, 1))]
