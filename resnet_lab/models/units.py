"""Residual units with the activations where you put them (He et al. 2016), and nets without normalisation.

He et al.'s "Identity mappings in deep residual networks" (2016, Fig. 4) tries five places for the batch norms
and ReLUs of a unit whose residual branch has convolutions W_1 ... W_m (m = 2 in the basic unit, 3 in the
bottleneck):

==================  ===  ==========================================================
``placement``            the unit computes
==================  ===  ==========================================================
``original``        (a)  y = relu(BN(W_m ... relu(BN(W_1 x))) + x)       (He et al. 2015)
``bn_after_add``    (b)  y = relu(BN(W_m ... relu(BN(W_1 x)) + x))
``relu_before_add`` (c)  y = relu(BN(W_m ... relu(BN(W_1 x)))) + x
``relu_preact``     (d)  y = BN(W_m ... relu(BN(W_1 relu(x)))) + x
``full_preact``     (e)  y = W_m ... relu(BN(W_1 relu(BN(x)))) + x       (the pre-activation unit)
==================  ===  ==========================================================

In (c), (d) and (e) nothing follows the addition, so x_L = x_l + sum of F over the units between them, exactly.

Where a pre-activation unit (d, e) is the first of the net or changes the shape, its first activation is applied
before the split, so the shortcut sees it too (the paper's first unit, "right after conv1 and before splitting
into two paths", and the reference code's downsampling units). The stem is conv-BN-ReLU for (a) to (c),
conv-BN for (d) (its first unit adds the ReLU) and conv alone for (e); after the last unit (d) adds a ReLU and
(e) a BN and a ReLU, before the average pool.

``init`` sets how the residual branches start:

- ``"he"``: He et al.'s N(0, 2 / fan_in) for every convolution, BN scale 1 (the default);
- ``"zero_last"``: the last layer of each branch starts at zero (its BN scale, as torchvision's
  ``zero_init_residual``, or its convolution where the branch ends in one), so every unit starts as the identity;
- ``"skipinit"``: a learnable scalar alpha, initialised to 0, multiplies each branch (De & Smith 2020);
- ``"fixup"`` (only with ``batchnorm=False``): Zhang et al. 2019. The classification layer and the last
  convolution of each branch start at zero; the other convolutions of the branches are He-initialised and then
  scaled by L^(-1/(2m-2)) (L branches of m layers); a scalar bias (initialised at 0) goes before each convolution,
  each ReLU and the classification layer, and a scalar multiplier (initialised at 1) ends each branch, followed
  by one more scalar bias.

``batchnorm=False`` removes every batch norm (the convolutions get biases, except under Fixup, which has its
scalar biases); ``residual=False`` removes the shortcuts (a plain net).
"""
from __future__ import annotations

from typing import List, Optional

import torch
from torch import nn

from resnet_lab.models.blocks import ZeroPadShortcut, check_input, check_shortcut, conv1x1, conv3x3
from resnet_lab.models.cifar import kaiming_init, _check_positive_int

PLACEMENTS = {
    "original": "(a) original: ReLU after the addition",
    "bn_after_add": "(b) BN after addition",
    "relu_before_add": "(c) ReLU before addition",
    "relu_preact": "(d) ReLU-only pre-activation",
    "full_preact": "(e) full pre-activation",
}
PREACT = ("relu_preact", "full_preact")
INITS = {
    "he": "He et al.'s N(0, 2/fan_in) for every convolution, BN scale 1",
    "zero_last": "the last layer of each residual branch starts at zero",
    "skipinit": "a scalar alpha = 0 multiplies each residual branch (De & Smith 2020)",
    "fixup": "Fixup (Zhang et al. 2019), without batch norm only",
}
BLOCKS = ("basic", "bottleneck")


def _check_choice(name: str, value, choices: dict) -> str:
    if isinstance(value, str) and value.strip().lower() in choices:
        return value.strip().lower()
    listing = "; ".join(f"{k!r} = {v}" for k, v in choices.items())
    raise ValueError(f"{name} must be one of: {listing}; got {value!r}")


def check_placement(placement) -> str:
    """One of :data:`PLACEMENTS` (any case); anything else is a ValueError listing them."""
    return _check_choice("placement", placement, PLACEMENTS)


def check_init(init) -> str:
    """One of :data:`INITS`; anything else is a ValueError listing them."""
    return _check_choice("init", init, INITS)


class ScalarBias(nn.Module):
    """Adds one learnable scalar (Fixup's bias), initialised at 0."""

    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bias


class Unit(nn.Module):
    """One residual unit: a branch of convolutions with BNs and ReLUs placed by ``placement``, and a shortcut.

    ``forward(x)`` returns the unit's output; :meth:`split` returns what the shortcut and the branch start from
    (``x``, or ``x`` after the unit's first activation where that comes before the split); :meth:`branch` is
    F and :meth:`combine` the addition and whatever follows it, so ``forward(x) == combine(s, branch(h))`` with
    ``s, h = split(x)``. Layers are named ``conv1.. , bn1..`` as in :class:`resnet_lab.models.BasicBlock`.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, bottleneck: bool = False,
                 placement: str = "full_preact", residual: bool = True, batchnorm: bool = True, init: str = "he",
                 shortcut: str = "A", first: bool = False):
        super().__init__()
        self.placement, self.init = check_placement(placement), check_init(init)
        self.residual, self.batchnorm = bool(residual), bool(batchnorm)
        fixup = self.init == "fixup"
        bias = not batchnorm and not fixup
        if bottleneck:   # the stride in the first 1x1 convolution, as in He et al.'s code for ResNet-164/1001
            planes = out_channels // 4
            shapes = [(in_channels, planes, 1, stride), (planes, planes, 3, 1), (planes, out_channels, 1, 1)]
        else:
            shapes = [(in_channels, out_channels, 3, stride), (out_channels, out_channels, 3, 1)]
        self.layers = len(shapes)
        ops: List[str] = []
        for i, (cin, cout, k, s) in enumerate(shapes, start=1):
            conv = (conv3x3 if k == 3 else conv1x1)(cin, cout, s, bias=bias)
            setattr(self, f"conv{i}", conv)
            last = i == len(shapes)
            if self.placement == "full_preact":
                ops += [f"bn{i}", "relu", f"conv{i}"]
                bn_channels = cin
            elif self.placement == "relu_preact":
                ops += ["relu", f"conv{i}", f"bn{i}"]
                bn_channels = cout
            elif self.placement == "bn_after_add" and last:
                ops += [f"conv{i}"]
                bn_channels = None
            else:
                ops += [f"conv{i}", f"bn{i}"] + (["relu"] if not last or self.placement == "relu_before_add" else [])
                bn_channels = cout
            if bn_channels is not None:
                setattr(self, f"bn{i}", nn.BatchNorm2d(bn_channels) if batchnorm else nn.Identity())
        self.shape_changes = stride != 1 or in_channels != out_channels
        # a pre-activation unit that starts the net or changes the shape activates before the split
        self.preact_split = self.placement in PREACT and (first or self.shape_changes)
        lead = {"full_preact": 2, "relu_preact": 1}.get(self.placement, 0) if self.preact_split else 0
        self.split_ops, self.branch_ops = ops[:lead], ops[lead:]
        if fixup:   # a scalar bias before every convolution and ReLU of the branch
            self.branch_ops = self._with_biases(self.branch_ops, "b")
            self.split_ops = self._with_biases(self.split_ops, "s")
            if residual and self.shape_changes and not self.split_ops:
                # Zhang et al.'s code: the shortcut that changes the shape also takes x plus the first bias
                self.split_ops, self.branch_ops = self.branch_ops[:1], self.branch_ops[1:]
        self.after_add = {"original": ["relu"], "bn_after_add": ["bn_add", "relu"]}.get(self.placement, [])
        if self.placement == "bn_after_add":
            self.bn_add = nn.BatchNorm2d(out_channels) if batchnorm else nn.Identity()
        self.relu = nn.ReLU()
        self.alpha = nn.Parameter(torch.zeros(1)) if self.init == "skipinit" else None
        if fixup:
            self.scale = nn.Parameter(torch.ones(1))
            self.bias_out = nn.Parameter(torch.zeros(1))
        self.downsample: Optional[nn.Module] = None
        if residual and self.shape_changes:
            if check_shortcut(shortcut) == "A":
                self.downsample = ZeroPadShortcut(in_channels, out_channels, stride)
            elif self.placement in PREACT:   # the input is already normalised: a bare 1x1 convolution
                self.downsample = nn.Sequential(conv1x1(in_channels, out_channels, stride, bias=bias))
            else:
                self.downsample = nn.Sequential(conv1x1(in_channels, out_channels, stride, bias=bias),
                                                nn.BatchNorm2d(out_channels) if batchnorm else nn.Identity())
        elif not residual:
            check_shortcut(shortcut)

    def _with_biases(self, ops: List[str], prefix: str) -> List[str]:
        out = []
        for op in ops:
            if op == "relu" or op.startswith("conv"):
                name = f"bias_{prefix}{len(out)}"
                setattr(self, name, ScalarBias())
                out.append(name)
            out.append(op)
        return out

    def _run(self, ops: List[str], x: torch.Tensor) -> torch.Tensor:
        for op in ops:
            x = getattr(self, op)(x)
        return x

    def split(self, x: torch.Tensor):
        """(what the shortcut takes, what the branch takes): both ``x``, or both ``x`` after the first
        activation for a pre-activation unit that activates before the split."""
        h = self._run(self.split_ops, x)
        return h, h

    def branch(self, h: torch.Tensor) -> torch.Tensor:
        """The residual branch F, with SkipInit's alpha or Fixup's multiplier and bias."""
        out = self._run(self.branch_ops, h)
        if self.alpha is not None:
            out = out * self.alpha
        if self.init == "fixup":
            out = out * self.scale + self.bias_out
        return out

    def shortcut(self, s: torch.Tensor) -> torch.Tensor:
        return s if self.downsample is None else self.downsample(s)

    def combine(self, s: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
        """The addition (when residual) and whatever the placement puts after it."""
        out = f + self.shortcut(s) if self.residual else f
        return self._run(self.after_add, out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s, h = self.split(x)
        return self.combine(s, self.branch(h))

    def last_layer(self) -> nn.Module:
        """The last convolution or batch norm of the branch (what ``init="zero_last"`` zeroes)."""
        weighted = [getattr(self, op) for op in self.branch_ops if op.startswith(("conv", "bn")) and op != "bn_add"]
        return [m for m in weighted if not isinstance(m, nn.Identity)][-1]

    def extra_repr(self) -> str:
        return f"placement={self.placement!r}, init={self.init!r}, residual={self.residual}"


class UnitNet(nn.Module):
    """A CIFAR net of :class:`Unit` s: stem, three stages, head. Depth 6n+2 (basic) or 9n+2 (bottleneck).

    Basic units have 16, 32, 64 channels (times ``width / 16``); bottleneck units work on 16, 32, 64 channels and
    output four times as many, as in He et al. 2016's ResNet-164 and ResNet-1001. Attributes: ``conv1`` (and
    ``bn1``), ``layer1..3``, the head's ``bn_final`` (full pre-activation), ``fc``.
    """

    def __init__(self, depth: int, block: str = "basic", placement: str = "full_preact", residual: bool = True,
                 batchnorm: bool = True, init: str = "he", shortcut: Optional[str] = None, width: int = 16,
                 num_classes: int = 10):
        super().__init__()
        self.block = _check_choice("block", block, {b: b for b in BLOCKS})
        self.placement, self.init = check_placement(placement), check_init(init)
        bottleneck = self.block == "bottleneck"
        self.depth = check_unit_depth(depth, self.block)
        _check_positive_int("width", width)
        _check_positive_int("num_classes", num_classes)
        if self.init == "fixup" and batchnorm:
            raise ValueError("init='fixup' is for nets without normalisation: pass batchnorm=False with it "
                             "(Fixup replaces what batch norm does at initialisation)")
        if not residual and self.init in ("zero_last", "skipinit", "fixup"):
            raise ValueError(f"init={self.init!r} starts each residual branch at zero, which in a plain net "
                             "(residual=False) would cut the signal at the first unit; use init='he'")
        self.residual, self.batchnorm, self.width = bool(residual), bool(batchnorm), width
        self.shortcut = check_shortcut(shortcut if shortcut is not None else ("B" if bottleneck else "A"))
        self.units_per_stage = (depth - 2) // (9 if bottleneck else 6)
        fixup = self.init == "fixup"
        self.conv1 = conv3x3(3, width, bias=not batchnorm and not fixup)
        stem = {"full_preact": [], "relu_preact": ["bn1"]}.get(self.placement, ["bn1", "relu"])
        if "bn1" in stem:
            self.bn1 = nn.BatchNorm2d(width) if batchnorm else nn.Identity()
        if fixup and "relu" in stem:
            self.bias_stem = ScalarBias()
            stem = ["bias_stem"] + [op for op in stem if op != "bn1"]
        self.stem_ops = stem
        self.relu = nn.ReLU()
        expansion = 4 if bottleneck else 1
        channels = width
        for stage, planes in enumerate((width, 2 * width, 4 * width), start=1):
            units = []
            for i in range(self.units_per_stage):
                stride = 2 if stage > 1 and i == 0 else 1
                units.append(Unit(channels, planes * expansion, stride, bottleneck, self.placement, residual,
                                  batchnorm, self.init, self.shortcut, first=(stage == 1 and i == 0)))
                channels = planes * expansion
            setattr(self, f"layer{stage}", nn.Sequential(*units))
        self.head_ops = {"full_preact": ["bn_final", "relu"], "relu_preact": ["relu"]}.get(self.placement, [])
        if "bn_final" in self.head_ops:
            self.bn_final = nn.BatchNorm2d(channels) if batchnorm else nn.Identity()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.bias_fc = ScalarBias() if fixup else None
        self.fc = nn.Linear(channels, num_classes)
        self.channels = channels
        kaiming_init(self)
        self._init_branches()

    def units(self) -> List[Unit]:
        """Every unit, in order."""
        return [u for stage in (self.layer1, self.layer2, self.layer3) for u in stage]

    def _init_branches(self) -> None:
        units = self.units()
        if self.init == "zero_last":
            for u in units:
                last = u.last_layer()
                nn.init.zeros_(last.weight)
                if isinstance(last, nn.Conv2d) and last.bias is not None:
                    nn.init.zeros_(last.bias)
        elif self.init == "fixup":
            m = units[0].layers
            factor = len(units) ** (-1.0 / (2 * m - 2))
            for u in units:
                convs = [getattr(u, f"conv{i}") for i in range(1, m + 1)]
                for conv in convs[:-1]:   # He et al.'s init (fan-out, as in Zhang et al.'s code), scaled
                    nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
                    conv.weight.data.mul_(factor)
                nn.init.zeros_(convs[-1].weight)
            nn.init.zeros_(self.fc.weight)
            nn.init.zeros_(self.fc.bias)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        for op in self.stem_ops:
            x = getattr(self, op)(x)
        return x

    def head(self, x: torch.Tensor) -> torch.Tensor:
        for op in self.head_ops:
            x = getattr(self, op)(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(self.bias_fc(x) if self.bias_fc is not None else x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, 3, self.conv1.weight.dtype)
        x = self.stem(x)
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.head(x)

    def extra_repr(self) -> str:
        kind = "residual" if self.residual else "plain"
        return (f"depth={self.depth}, {self.block}, placement={self.placement!r}, {kind}, "
                f"batchnorm={self.batchnorm}, init={self.init!r}, shortcut={self.shortcut!r}, width={self.width}")


def check_unit_depth(depth, block: str = "basic") -> int:
    """``depth`` if it is 6n+2 (basic units) or 9n+2 (bottleneck units), n >= 1; else a ValueError that says so."""
    per_unit = 9 if block == "bottleneck" else 6
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise TypeError(f"depth must be an int, got {depth!r}")
    if depth < per_unit + 2 or (depth - 2) % per_unit:
        examples = "164, 1001" if block == "bottleneck" else "20, 56, 110"
        raise ValueError(f"a CIFAR net of {block} units has depth {per_unit}n+2 ({examples}, ...); {depth} is not "
                         f"of that form")
    return depth


def unit_net(depth: int, block: Optional[str] = None, **options) -> UnitNet:
    """A :class:`UnitNet`; ``block`` defaults to ``"bottleneck"`` when ``depth`` is 9n+2 but not 6n+2, and for
    164 (He et al. 2016's ResNet-164), else ``"basic"``."""
    if block is None:
        block = "bottleneck" if depth == 164 or ((depth - 2) % 6 and not (depth - 2) % 9) else "basic"
    return UnitNet(depth, block, **options)
