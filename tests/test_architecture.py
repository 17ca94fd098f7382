"""Table 1 regeneration (multiply-adds, stage shapes) and notebook 04's exercise checkers."""
import torch
import torch.nn.functional as F
from torch import nn

from resnet_lab.lessons.building import architecture as arch
from resnet_lab.lessons.building import exercises as ex
from resnet_lab.models import BasicBlock, Bottleneck


def test_multiply_adds_exact_for_resnet18_and_both_resnet50_variants():
    assert arch.multiply_adds("resnet18") == 1_814_073_344
    assert arch.multiply_adds("resnet50") == 4_089_184_256
    assert arch.multiply_adds("resnet50", variant="v1") == 3_857_973_248


def test_multiply_adds_follow_the_convolution_formula():
    conv = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
    assert arch.multiply_adds(conv, 224) == 3 * 64 * 49 * 112 * 112
    assert arch.multiply_adds(nn.Conv2d(16, 32, 3, padding=1, bias=False), 32, in_channels=16) == 16 * 32 * 9 * 32 * 32


def test_counting_leaves_the_model_untouched():
    model = BasicBlock(8, 8)
    before = model.conv1.weight.clone()
    arch.multiply_adds(model, 16, in_channels=8)
    assert model.conv1.weight.device.type == "cpu" and torch.equal(model.conv1.weight, before)


def test_stage_shapes_resnet50_and_resnet56():
    rows = {r["stage"]: r for r in arch.stage_shapes("resnet50")}
    assert [rows[s]["output"] for s in ("conv1", "maxpool", "layer1", "layer2", "layer3", "layer4")] == [
        (64, 112, 112), (64, 56, 56), (256, 56, 56), (512, 28, 28), (1024, 14, 14), (2048, 7, 7)]
    assert [rows[f"layer{i}"]["blocks"] for i in range(1, 5)] == [3, 4, 6, 3]
    assert sum(r["params"] for r in rows.values()) == 25_557_032
    assert sum(r["multiply_adds"] for r in rows.values()) == 4_089_184_256
    cifar = {r["stage"]: r for r in arch.stage_shapes("resnet56", 32)}
    assert "maxpool" not in cifar and cifar["layer3"]["output"] == (64, 8, 8)
    assert sum(r["params"] for r in cifar.values()) == 853_018


def test_table1_matches_paper_and_torchvision():
    rows = arch.table1(depths=(18, 50))
    r18, r50 = rows
    assert r18["params"] == r18["torchvision_params"] == 11_689_512
    assert r50["layers"] == (3, 4, 6, 3) and r50["block"] == "Bottleneck"
    assert round(r50["gmacs_v15"], 2) == 4.09 == round(r50["torchvision_gflops"], 2)
    assert abs(r50["gmacs_v1"] - r50["paper_gflops"]) < 0.07
    text = arch.format_table1(rows)
    assert "25,557,032" in text and "3.858" in text and "4.089" in text


def test_block_cost_bottleneck_vs_basic():
    basic = arch.block_cost(BasicBlock(64, 64), 64, 56)
    bottle = arch.block_cost(Bottleneck(256, 64), 256, 56)
    assert basic["conv_params"] == 2 * 64 * 64 * 9 == 73_728
    assert bottle["conv_params"] == 256 * 64 + 64 * 64 * 9 + 64 * 256 == 69_632
    assert bottle["multiply_adds"] == 69_632 * 56 * 56


def test_stride_placement_and_torchvision_comparison():
    assert arch.stride_placement("resnet50") == [(f"layer{s}.0.conv{i}", 2 if i == 1 else 1, 1 if i == 1 else 2)
                                                 for s in (2, 3, 4) for i in (1, 2)]
    assert arch.stride_placement("resnet18") == []
    result = arch.compare_with_torchvision("resnet18", input_size=64)
    assert result["same_keys"] and result["same_shapes"] and result["max_abs_difference"] == 0.0


def test_torchvision_comparison_catches_a_misplaced_relu():
    from resnet_lab.models import get_model

    real = arch.compare_with_torchvision("resnet18", input_size=64)
    broken = arch.relu_before_batchnorm(get_model("resnet18"))
    result = arch.compare_with_torchvision("resnet18", input_size=64, ours=broken)
    assert result["same_keys"] and result["same_shapes"]       # same tensors: only the outputs can tell
    assert real["max_abs_difference"] == 0.0 and result["max_abs_difference"] > 1e-2
    # with default batch norms (eval mode: one positive scale, which commutes with ReLU) the bug would be invisible
    reference = get_model("resnet18").eval()
    broken.load_state_dict(reference.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(broken.eval()(x), reference(x))


def test_kernel_sizes_counts_every_convolution():
    assert arch.kernel_sizes("resnet50") == {"7x7": 1, "3x3": 16, "1x1": 32 + 4}   # 4 projection shortcuts
    assert arch.kernel_sizes("resnet18") == {"7x7": 1, "3x3": 16, "1x1": 3}
    assert arch.kernel_sizes("plain110") == arch.kernel_sizes("resnet110") == {"3x3": 109}
    assert list(arch.kernel_sizes("resnet50")) == ["7x7", "3x3", "1x1"]


def test_resizing_convolutions_v1_v15_and_basic_blocks():
    def three_by_three(name, **options):
        return [c for c in arch.resizing_convolutions(name, **options) if c[1] == "3x3"]

    # v1.5: the 3x3 carries the stride and keeps the channels; v1: no 3x3 resizes anything
    assert three_by_three("resnet50") == [(f"layer{s}.0.conv2", "3x3", c, c, 2)
                                          for s, c in ((2, 128), (3, 256), (4, 512))]
    assert three_by_three("resnet50", variant="v1") == []
    assert len(arch.resizing_convolutions("resnet50")) == 39      # stem + 15 conv1 + 16 conv3 + 3 conv2 + 4 projections
    assert len(arch.resizing_convolutions("resnet50", variant="v1")) == 36
    # ResNet-18: the first 3x3 of a stage doubles the channels and halves the map
    assert three_by_three("resnet18") == [(f"layer{s}.0.conv1", "3x3", c // 2, c, 2) for s, c in
                                          ((2, 128), (3, 256), (4, 512))]
    assert arch.resizing_convolutions(BasicBlock(64, 64)) == []

def test_trace_shapes_records_call_order():
    calls = arch.trace_shapes(Bottleneck(256, 128, stride=2), torch.randn(1, 256, 16, 16))
    assert [c[0] for c in calls] == ["conv1", "bn1", "relu", "conv2", "bn2", "relu", "conv3", "bn3",
                                     "downsample.0", "downsample.1", "relu"]
    assert calls[3][2] == (1, 128, 8, 8) and calls[-1][2] == (1, 512, 8, 8)


def test_check_bottleneck_accepts_reference_and_rejects_mistakes(capsys):
    result = ex.check_bottleneck(Bottleneck)
    assert result.passed and capsys.readouterr().out.startswith("Correct:")

    class StrideIn1x1(Bottleneck):  # the v1 block: same names and shapes, different outputs
        def __init__(self, in_channels, planes, stride=1):
            super().__init__(in_channels, planes, stride, stride_in_1x1=True)

    result = ex.check_bottleneck(StrideIn1x1)
    assert not result.passed and "differ from the reference" in result.message
    assert capsys.readouterr().out.startswith("Not yet:")

    class Unwritten(nn.Module):
        def __init__(self, *args):
            raise NotImplementedError

    result = ex.check_bottleneck(Unwritten)
    assert not result.passed and "still raises NotImplementedError" in result.message

    class WrongNames(nn.Module):
        def __init__(self, in_channels, planes, stride=1):
            super().__init__()
            self.reduce = nn.Conv2d(in_channels, planes, 1, bias=False)

    result = ex.check_bottleneck(WrongNames)
    assert not result.passed and "missing" in result.message


def test_check_zero_pad_shortcut():
    def right(x, out_channels, stride):
        x = x[:, :, ::stride, ::stride]
        return F.pad(x, (0, 0, 0, 0, 0, out_channels - x.shape[1]))

    def pads_in_front(x, out_channels, stride):
        x = x[:, :, ::stride, ::stride]
        return F.pad(x, (0, 0, 0, 0, out_channels - x.shape[1], 0))

    assert ex.check_zero_pad_shortcut(right).passed
    result = ex.check_zero_pad_shortcut(pads_in_front)
    assert not result.passed and "wrong values" in result.message


def test_check_v1_v15_difference():
    by_hand = 3 * (256 * 128 * (56 * 56 - 28 * 28))  # the same count in each of layer2, layer3, layer4
    assert by_hand == 231_211_008
    assert ex.check_v1_v15_difference(by_hand).passed
    result = ex.check_v1_v15_difference(by_hand // 3)
    assert not result.passed and "too low" in result.message
    assert not ex.check_v1_v15_difference(None).passed


def test_cifar_stem_comparison_uses_reference_else_a_short_run(monkeypatch, tmp_path):
    from resnet_lab.lessons.building import comparison as cifar_stem
    from resnet_lab.runs import committed_path
    from resnet_lab.training.history import History

    monkeypatch.setenv("RESNET_LAB_RESULTS", str(tmp_path))
    calls = []
    monkeypatch.setattr(cifar_stem, "train_or_load",
                        lambda name, data, scale, **kw: calls.append((name, scale)) or History(model=name))
    histories, origin = cifar_stem.train_or_load_comparison(data=object(), scale="classroom")
    assert "short run" in origin and set(histories) == {"resnet18_cifar", "resnet56"}
    assert {s.name for _, s in calls} == {"cifar_stem-short"}
    assert all(s.train_per_class == 50 and s.epochs == 2 and s.lr == cifar_stem.GROUP.scale.lr for _, s in calls)
    calls.clear()
    cifar_stem.train_or_load_comparison(data=object(), scale="classroom", retrain=True)
    assert [s for _, s in calls] == [cifar_stem.GROUP.scale] * 2   # the committed runs' own recipe
    for name in cifar_stem.COMPARED:
        History(model=name, epoch=[1]).save(committed_path("cifar_stem", name))
    calls.clear()
    histories, origin = cifar_stem.train_or_load_comparison(data=object(), scale="classroom")
    assert calls == [] and origin.startswith(f"Loaded the committed runs from {tmp_path}/cifar_stem/<model>-cifar_stem")
    assert histories["resnet56"].model == "resnet56"
    cifar_stem.train_or_load_comparison(data=object(), scale="smoke")
    assert [s.name for _, s in calls] == ["smoke", "smoke"]
