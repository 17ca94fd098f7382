"""Models: exact parameter counts, torchvision equivalence, shapes, and the error messages."""
import re

import pytest
import torch
import torchvision
from torch import nn

from resnet_lab import models
from resnet_lab.models import (BasicBlock, Bottleneck, ZeroPadShortcut, cifar_resnet, count_parameters, get_model,
                               is_cifar_family, list_models)

CIFAR_COUNTS = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962}
IMAGENET_COUNTS = {18: 11_689_512, 34: 21_797_672, 50: 25_557_032, 101: 44_549_160, 152: 60_192_808}


def cifar_option_a_count(depth, width=16, classes=10):
    """Count the parameters of a 6n+2 option-A net by hand, layer by layer (no torch)."""
    n = (depth - 2) // 6
    conv = lambda cin, cout: 9 * cin * cout  # 3x3, no bias
    bn = lambda c: 2 * c
    total = conv(3, width) + bn(width)
    cin = width
    for filters in (width, 2 * width, 4 * width):
        for _ in range(n):
            total += conv(cin, filters) + bn(filters) + conv(filters, filters) + bn(filters)
            cin = filters
    return total + cin * classes + classes


def cifar_closed_form_count(depth, width=16, classes=10):
    """The same count in closed form. Per block and stage s (filters 2^s w): two 3x3 convs and two BNs,
    2 (9 (2^s w)^2 + 2 (2^s w)); summed over the stages, (378 w^2 + 28 w) per n. The first block of stages 2
    and 3 starts from half the filters (18 w^2 and 72 w^2 fewer weights); the stem is 27 w + 2 w; the
    classifier 4 w k + k."""
    n = (depth - 2) // 6
    return 29 * width + n * (378 * width ** 2 + 28 * width) - 90 * width ** 2 + (4 * width + 1) * classes


@pytest.mark.parametrize("depth", [8, 14, 20, 26, 32, 44, 56, 110, 1202])
@pytest.mark.parametrize("width, classes", [(16, 10), (4, 7), (64, 100)])
def test_cifar_counts_layer_by_layer_agree_with_the_closed_form(depth, width, classes):
    assert cifar_option_a_count(depth, width, classes) == cifar_closed_form_count(depth, width, classes)


def test_cifar_counts_match_the_published_sizes():
    # He et al. 2015, Table 6, in millions to the digits the paper prints: 0.27, 0.46, 0.66, 0.85, 1.7, 19.4
    published = {20: (0.27, 2), 32: (0.46, 2), 44: (0.66, 2), 56: (0.85, 2), 110: (1.7, 1), 1202: (19.4, 1)}
    for depth, (millions, digits) in published.items():
        assert round(cifar_closed_form_count(depth) / 1e6, digits) == millions, depth
    assert {d: cifar_closed_form_count(d) for d in CIFAR_COUNTS} == CIFAR_COUNTS
    assert cifar_closed_form_count(1202) == 19_421_274


def test_any_6n_plus_2_depth_builds():
    model = get_model("resnet26")
    assert len(model.layer1) == 4 and count_parameters(model) == cifar_option_a_count(26)
    assert count_parameters(cifar_resnet(50)) == cifar_option_a_count(50)
    assert get_model("plain8")(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_option_b_adds_exactly_the_two_projections():
    extra = (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)  # 1x1 conv + BN at the two stage transitions
    assert count_parameters(get_model("resnet20", shortcut="B")) == CIFAR_COUNTS[20] + extra
    assert count_parameters(get_model("plain20", shortcut="B")) == CIFAR_COUNTS[20]  # plain: no shortcut at all
    assert count_parameters(get_model("resnet20", shortcut="b")) == CIFAR_COUNTS[20] + extra


def test_width_and_classes():
    model = get_model("resnet20", width=4, num_classes=7)
    assert count_parameters(model) == cifar_option_a_count(20, width=4, classes=7)
    assert model(torch.randn(3, 3, 32, 32)).shape == (3, 7)


def test_cifar_stage_shapes():
    model = get_model("resnet20")
    x = torch.randn(2, 3, 32, 32)
    x = model.relu(model.bn1(model.conv1(x)))
    shapes = []
    for layer in (model.layer1, model.layer2, model.layer3):
        x = layer(x)
        shapes.append(tuple(x.shape[1:]))
    assert shapes == [(16, 32, 32), (32, 16, 16), (64, 8, 8)]


def test_plain_differs_from_residual_only_by_the_shortcut():
    torch.manual_seed(0)
    residual = get_model("resnet20")
    plain = get_model("plain20")
    plain.load_state_dict(residual.state_dict())  # same parameters, same names
    residual.eval(), plain.eval()
    x = torch.randn(2, 3, 32, 32)
    block_r, block_p = residual.layer2[0], plain.layer2[0]
    h = torch.randn(2, 16, 32, 32)
    assert torch.equal(block_r.residual_branch(h), block_p.residual_branch(h))
    assert torch.allclose(block_r(h), torch.relu(block_r.residual_branch(h) + block_r.shortcut(h)))
    assert torch.allclose(block_p(h), torch.relu(block_p.residual_branch(h)))
    assert not torch.allclose(residual(x), plain(x))
    assert all(b.downsample is None for b in plain.modules() if isinstance(b, BasicBlock))


def test_option_a_shortcut_is_parameter_free_subsample_and_zero_pad():
    shortcut = ZeroPadShortcut(16, 32, stride=2)
    x = torch.randn(2, 16, 8, 8)
    y = shortcut(x)
    assert y.shape == (2, 32, 4, 4)
    assert torch.equal(y[:, :16], x[:, :, ::2, ::2])
    assert torch.count_nonzero(y[:, 16:]) == 0
    assert count_parameters(shortcut) == 0


def test_identity_shortcut_adds_no_parameters():
    same = BasicBlock(64, 64, stride=1, shortcut="B")
    assert same.downsample is None
    assert count_parameters(same) == 2 * (9 * 64 * 64 + 2 * 64)
    changing = BasicBlock(64, 128, stride=2, shortcut="B")
    assert count_parameters(changing) == 9 * 64 * 128 + 9 * 128 * 128 + 4 * 128 + 64 * 128 + 2 * 128


def test_no_batchnorm_option():
    model = get_model("plain20", batchnorm=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_kaiming_init_variance():
    torch.manual_seed(0)
    conv = get_model("resnet56").layer3[5].conv1
    fan_in = conv.in_channels * 9
    assert abs(conv.weight.var().item() * fan_in / 2 - 1) < 0.05


@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"])
def test_state_dict_keys_and_shapes_match_torchvision(name):
    ours = get_model(name).state_dict()
    theirs = getattr(torchvision.models, name)(weights=None).state_dict()
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == theirs[k].shape for k in ours)


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_outputs_equal_torchvision_with_its_weights(name):
    torch.manual_seed(0)
    reference = getattr(torchvision.models, name)(weights=None)
    # give the batch norms non-trivial statistics, as after training
    with torch.no_grad():
        for m in reference.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    ours = get_model(name)
    ours.load_state_dict(reference.state_dict(), strict=True)
    reference.eval(), ours.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert (ours(x) - reference(x)).abs().max().item() < 1e-5


def test_v1_and_v15_differ_only_in_where_the_stride_sits():
    v15, v1 = get_model("resnet50"), get_model("resnet50", variant="v1")
    assert count_parameters(v1) == count_parameters(v15)
    v1.load_state_dict(v15.state_dict())
    strides = lambda b: (b.conv1.stride, b.conv2.stride, b.conv3.stride)
    assert strides(v15.layer2[0]) == ((1, 1), (2, 2), (1, 1))
    assert strides(v1.layer2[0]) == ((2, 2), (1, 1), (1, 1))
    differing = [name for (name, a), (_, b) in zip(v15.named_modules(), v1.named_modules())
                 if isinstance(a, nn.Conv2d) and a.stride != b.stride]
    assert differing == [f"layer{s}.0.conv{i}" for s in (2, 3, 4) for i in (1, 2)]
    v15.eval(), v1.eval()
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        assert v1(x).shape == v15(x).shape == (1, 1000)


def test_zero_init_residual_makes_blocks_start_as_identity_branches():
    model = get_model("resnet18", zero_init_residual=True)
    assert all(torch.count_nonzero(b.bn2.weight) == 0 for b in model.modules() if isinstance(b, BasicBlock))
    model = get_model("resnet50", zero_init_residual=True)
    assert all(torch.count_nonzero(b.bn3.weight) == 0 for b in model.modules() if isinstance(b, Bottleneck))


def test_cifar_stem_variants():
    model = get_model("resnet18_cifar")
    assert model.conv1.kernel_size == (3, 3) and model.conv1.stride == (1, 1)
    assert isinstance(model.maxpool, nn.Identity) and model.fc.out_features == 10
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert count_parameters(model) == IMAGENET_COUNTS[18] - 64 * 3 * 49 + 64 * 3 * 9 - 990 * 513
    assert get_model("resnet50_cifar").fc.out_features == 10
    assert get_model("resnet34", stem="cifar", num_classes=100).fc.out_features == 100


LISTED = ["plain20", "resnet20", "plain32", "resnet32", "plain44", "resnet44", "plain56", "resnet56", "plain110",
          "resnet110", "resnet1202", "preresnet20", "preresnet56", "preresnet110", "preresnet164", "preresnet1001",
          "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnet18_cifar",
          "resnet50_cifar"]


def torchvision_reference(name):
    """torchvision's builder for an ImageNet net; for ``*_cifar``, with the CIFAR stem put in by hand (a 3x3 conv of
    stride 1 and no max-pool) and 10 classes."""
    depth = int(name[len("resnet"):].split("_")[0])
    if not name.endswith("_cifar"):
        return getattr(torchvision.models, f"resnet{depth}")(weights=None)
    model = getattr(torchvision.models, f"resnet{depth}")(weights=None, num_classes=10)
    model.conv1, model.maxpool = nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.Identity()
    return model


def test_the_listed_models_are_exactly_the_papers():
    assert list_models() == LISTED
    assert all(getattr(models, name) is models.MODELS[name] for name in LISTED)


@pytest.mark.parametrize("name", [n for n in LISTED if not n.startswith("preresnet")])  # those: test_units.py
def test_every_listed_model_builds_with_its_exact_parameter_count_and_output_shape(name):
    model = get_model(name)
    depth = int(re.search(r"\d+", name).group())
    if is_cifar_family(name):
        expected, classes, size = cifar_closed_form_count(depth), 10, 8  # 8 x 8 pixels: 8, 4, 2 in the stages
        assert expected == CIFAR_COUNTS.get(depth, 19_421_274)
        assert len(model.layer1) == len(model.layer2) == len(model.layer3) == (depth - 2) // 6
    else:
        expected = count_parameters(torchvision_reference(name))
        classes, size = (10 if name.endswith("_cifar") else 1000), 32
        assert classes == 10 or expected == IMAGENET_COUNTS[depth]
    assert count_parameters(model) == expected
    model.eval()
    with torch.no_grad():
        assert model(torch.randn(2, 3, size, size)).shape == (2, classes)


def test_invalid_depth_names_nearest_valid_depths():
    with pytest.raises(ValueError, match=r"6n\+2.*Nearest valid depths: 20 and 26"):
        get_model("resnet21")
    with pytest.raises(ValueError, match=r"Nearest valid depths: 14 and 20"):
        get_model("plain18")
    with pytest.raises(ValueError, match=r"Nearest valid depths: 20 and 26"):
        cifar_resnet(21)


@pytest.mark.parametrize("typo, suggestion", [("resnet5O", "resnet50"), ("resnt56", "resnet56"),
                                              ("resnet_56", "resnet56")])
def test_unknown_name_suggests_close_names(typo, suggestion):
    with pytest.raises(ValueError, match=r"unknown model") as error:
        get_model(typo)
    assert f"did you mean" in str(error.value) and repr(suggestion) in str(error.value)


def test_unknown_option_lists_valid_options():
    with pytest.raises(TypeError, match=r"unknown option.*'widht'.*did you mean 'width'.*valid options: shortcut"):
        get_model("resnet20", widht=8)
    with pytest.raises(TypeError, match=r"valid options: num_classes.*variant.*zero_init_residual.*stem"):
        get_model("resnet50", shortcut="A")


def test_bad_option_values():
    with pytest.raises(ValueError, match=r"shortcut must be 'A' or 'B'.*got 'C'"):
        get_model("resnet20", shortcut="C")
    with pytest.raises(ValueError, match=r"variant must be one of: 'v1.5'.*'v1'.*got 'v2'"):
        get_model("resnet50", variant="v2")
    with pytest.raises(ValueError, match=r"stem must be one of: 'imagenet'.*'cifar'"):
        get_model("resnet18", stem="tiny")
    with pytest.raises(ValueError, match=r"width must be a positive int"):
        get_model("resnet20", width=0)


def test_wrong_input_shapes_say_what_is_expected():
    model = get_model("resnet20")
    with pytest.raises(ValueError, match=r"expected a batch of shape \[N, 3, H, W\].*x\.unsqueeze\(0\)"):
        model(torch.randn(3, 32, 32))
    with pytest.raises(ValueError, match=r"expected a batch of shape \[N, 3, H, W\].*1 channel"):
        model(torch.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"x\.permute\(0, 3, 1, 2\)"):
        get_model("resnet18")(torch.randn(1, 64, 64, 3))
    with pytest.raises(TypeError, match=r"floating-point"):
        model(torch.zeros(1, 3, 32, 32, dtype=torch.uint8))
