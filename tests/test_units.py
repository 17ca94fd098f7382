"""The units of He et al. 2016 and the nets without normalisation, against the papers' definitions."""
import math

import pytest
import torch
from torch import nn

from resnet_lab.config import get_scale, recipe_for_model
from resnet_lab.models import count_parameters, get_model
from resnet_lab.models.units import PLACEMENTS, Unit


@pytest.mark.parametrize("name, params", [("preresnet20", 269_722), ("preresnet56", 853_018),
                                          ("preresnet110", 1_727_962), ("preresnet164", 1_703_258),
                                          ("preresnet1001", 10_327_706)])
def test_parameter_counts(name, params):
    # He et al. 2016, Table 4: ResNet-164 "(1.7M)", ResNet-1001 "(10.2M)"; our 1001 counts 10.33M (see notebook 05)
    with torch.device("meta"):
        assert count_parameters(get_model(name)) == params


def test_preresnet110_has_resnet110s_count_and_the_bottleneck_layout():
    assert count_parameters(get_model("preresnet110")) == count_parameters(get_model("resnet110"))
    net = get_model("preresnet164")
    assert net.block == "bottleneck" and net.units_per_stage == 18 and net.shortcut == "B"
    assert [net.layer1[0].conv1.out_channels, net.layer1[0].conv3.out_channels, net.channels] == [16, 64, 256]
    assert net.layer2[0].conv1.stride == (2, 2) and net.layer2[0].conv2.stride == (1, 1)  # stride in the first 1x1
    assert isinstance(net.layer2[0].downsample[0], nn.Conv2d) and len(net.layer2[0].downsample) == 1  # no BN
    assert get_model("preresnet1001").units_per_stage == 111


def test_original_placement_is_resnet_of_2015():
    torch.manual_seed(0)
    old, new = get_model("resnet20"), get_model("preresnet20", placement="original")
    new.load_state_dict(old.state_dict())   # same parameter names and shapes
    x = torch.randn(4, 3, 32, 32)
    assert torch.equal(old(x), new(x))


def _branch(unit, x):
    return unit.branch(unit.split(x)[1])


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_each_placement_computes_its_figure_4_formula(placement):
    torch.manual_seed(1)
    unit = Unit(16, 16, placement=placement).train()
    with torch.no_grad():
        for bn in (m for m in unit.modules() if isinstance(m, nn.BatchNorm2d)):
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
    u = unit
    x = torch.randn(4, 16, 8, 8)
    relu = torch.relu
    want = {
        "original": lambda: relu(u.bn2(u.conv2(relu(u.bn1(u.conv1(x))))) + x),
        "bn_after_add": lambda: relu(u.bn_add(u.conv2(relu(u.bn1(u.conv1(x)))) + x)),
        "relu_before_add": lambda: relu(u.bn2(u.conv2(relu(u.bn1(u.conv1(x)))))) + x,
        "relu_preact": lambda: u.bn2(u.conv2(relu(u.bn1(u.conv1(relu(x)))))) + x,
        "full_preact": lambda: u.conv2(relu(u.bn2(u.conv1(relu(u.bn1(x)))))) + x,
    }[placement]()
    assert torch.allclose(unit(x), want, atol=1e-6)
    s, h = unit.split(x)
    assert torch.allclose(unit.combine(s, unit.branch(h)), want, atol=1e-6)


def test_preact_nets_activate_before_the_split_where_the_paper_says():
    net = get_model("preresnet20")
    firsts = [net.layer1[0], net.layer2[0], net.layer3[0]]
    assert all(u.preact_split and u.split_ops == ["bn1", "relu"] for u in firsts)
    assert not any(u.preact_split for u in list(net.layer1)[1:])
    assert net.stem_ops == [] and net.head_ops == ["bn_final", "relu"]       # bare conv1; BN-ReLU before pooling
    original = get_model("preresnet20", placement="original")
    assert original.stem_ops == ["bn1", "relu"] and original.head_ops == []


def test_pre_activation_units_sum_exactly():
    torch.manual_seed(2)
    stage = get_model("preresnet56").double().layer3
    x = torch.randn(2, 64, 8, 8, dtype=torch.float64)
    x_l, total = x, torch.zeros_like(x)
    for unit in list(stage)[1:]:
        f = _branch(unit, x)
        total, x = total + f, unit(x)
    assert torch.allclose(x, x_l + total, rtol=0, atol=1e-12)


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_zero_last_makes_every_unit_the_identity_at_init(placement):
    net = get_model("preresnet20", placement=placement, init="zero_last")
    x = torch.relu(torch.randn(2, 16, 8, 8))   # a ReLU's output, as the units of (a) and (b) receive
    for unit in list(net.layer1)[1:]:
        assert torch.count_nonzero(_branch(unit, x)) == 0
    last = {"original": "bn2", "bn_after_add": "conv2", "relu_before_add": "bn2", "relu_preact": "bn2",
            "full_preact": "conv2"}[placement]
    assert net.layer1[1].last_layer() is getattr(net.layer1[1], last)


def test_skipinit_has_one_zero_alpha_per_branch():
    # De & Smith 2020: a learnable scalar multiplier at the end of each residual branch, initialised at zero
    net = get_model("preresnet110", batchnorm=False, init="skipinit", placement="original")
    alphas = [u.alpha for u in net.units()]
    assert len(alphas) == 54 and all(a.shape == (1,) and a.item() == 0 and a.requires_grad for a in alphas)
    plain = get_model("preresnet110", batchnorm=False, placement="original")
    assert count_parameters(net) == count_parameters(plain) + 54


def test_fixup_follows_the_three_rules():
    torch.manual_seed(0)
    net = get_model("preresnet110", batchnorm=False, init="fixup", placement="original")
    units = net.units()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net.modules())
    # rule 1: the classification layer and the last layer of each branch start at zero
    assert torch.count_nonzero(net.fc.weight) == 0 and torch.count_nonzero(net.fc.bias) == 0
    assert all(torch.count_nonzero(u.conv2.weight) == 0 for u in units)
    # rule 2: the other branch weights are He's N(0, 2/fan_out) scaled by L^(-1/(2m-2)), L = 54, m = 2
    weights = torch.cat([u.conv1.weight.flatten() / math.sqrt(2 / (u.conv1.out_channels * 9)) for u in units])
    assert weights.std().item() == pytest.approx(54 ** -0.5, rel=0.01)
    # rule 3: a scalar multiplier (1) per branch, and scalar biases (0) before each conv, activation and the fc
    assert all(u.scale.item() == 1 for u in units)
    for u in units[1:18]:   # identity units: biases before conv1, the ReLU, conv2, and after the multiplier
        assert [op for op in u.split_ops + u.branch_ops if op.startswith("bias")] == ["bias_b0", "bias_b3", "bias_b5"]
    assert units[18].split_ops == ["bias_b0"]   # the downsampling shortcut takes x plus that bias, as in their code
    assert net.stem_ops == ["bias_stem", "relu"] and net.bias_fc is not None
    assert not any(m.bias is not None for m in net.modules() if isinstance(m, nn.Conv2d))
    scalars = [p for n, p in net.named_parameters() if p.numel() == 1]
    assert len(scalars) == 54 * 5 + 2
    assert torch.count_nonzero(net(torch.randn(2, 3, 32, 32))) == 0   # zero classifier: every logit 0


@pytest.mark.parametrize("options, message", [
    ({"init": "fixup"}, "init='fixup' is for nets without normalisation: pass batchnorm=False"),
    ({"init": "skipinit", "residual": False}, "in a plain net"),
    ({"placement": "post"}, "placement must be one of: 'original'"),
    ({"init": "kaiming"}, "init must be one of: 'he'"),
    ({"depht": 3}, "did you mean 'depth'|unknown option"),
])
def test_bad_options_say_what_to_do(options, message):
    with pytest.raises((ValueError, TypeError), match=message):
        get_model("preresnet20", **options)


def test_bad_depths_name_both_forms():
    with pytest.raises(ValueError, match="6n\\+2 .*or 9n\\+2"):
        get_model("preresnet100")
    with pytest.raises(ValueError, match="bottleneck units has depth 9n\\+2"):
        get_model("preresnet26", block="bottleneck")


def test_paper_scale_gives_the_2016_warm_up_to_preresnets_only():
    paper = get_scale("paper")
    pre = recipe_for_model(paper, 56, "preresnet")
    assert (pre.warmup_lr, pre.warmup_lr_iterations, pre.warmup_until_error) == (0.01, 400, None)
    assert recipe_for_model(paper, 56, "resnet") == paper
    assert recipe_for_model(get_scale("classroom"), 1001, "preresnet") == get_scale("classroom")


def test_the_2016_warm_up_runs_400_iterations_at_0_01():
    from resnet_lab.training.schedule import learning_rate
    recipe = recipe_for_model(get_scale("paper"), 164, "preresnet")
    lrs = [learning_rate(recipe, i, 351) for i in (0, 399, 400, 31_999, 32_000, 48_000)]
    assert lrs == [0.01, 0.01, 0.1, 0.1, pytest.approx(0.01), pytest.approx(0.001)]


def test_width_comes_from_the_recipe():
    from resnet_lab.runs import build_model
    assert build_model("preresnet20", get_scale("smoke")).width == 4
