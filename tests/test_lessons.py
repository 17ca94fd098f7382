"""The lesson packages: what each re-exports, notebook 01's shortcut count, and every exercise checker.

Every checker must pass its reference solution, and must answer "Not yet" (never raise) to the answers a
learner may give by mistake: the untouched ``raise NotImplementedError`` stub, None, NaN, code that raises,
a wrong type, a number written as a string, and the specific wrong answers of each exercise.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from resnet_lab import checks
from resnet_lab.lessons import building, degradation, gradient_flow, toy2d
from resnet_lab.lessons.toy2d import nets as toy_nets
from resnet_lab.models import Bottleneck, get_model
from resnet_lab.training import History


# ------------------------------------------------------------------------------------------- the packages
@pytest.mark.parametrize("lesson", [degradation, gradient_flow, toy2d, building], ids=lambda m: m.__name__)
def test_lesson_exports_are_real_and_unique(lesson):
    assert len(set(lesson.__all__)) == len(lesson.__all__)
    assert [name for name in lesson.__all__ if not hasattr(lesson, name)] == []


def test_every_lesson_exports_its_checkers():
    for lesson, names in ((degradation, {"check_is_degradation", "check_depth_prediction", "check_seed_gaps"}),
                          (gradient_flow, {"check_residual_unit", "check_scaled_shortcut_prediction",
                                           "check_autocorrelation", "check_first_lag_below"}),
                          (toy2d, {"check_sample_annulus", "check_one_neuron_block", "check_parameter_count",
                                   "check_bounded_net", "check_width2_answer"}),
                          (building, {"check_bottleneck", "check_zero_pad_shortcut", "check_v1_v15_difference"})):
        assert {n for n in lesson.__all__ if n.startswith("check_") and n != "check_gradient_identity"} == names


# ------------------------------------------------------------------------------------- notebook 01's nets
def test_shortcut_parameters_option_a_and_b():
    assert degradation.shortcut_parameters(get_model("resnet20", shortcut="A")) == 0
    assert degradation.shortcut_parameters(get_model("plain20")) == 0
    # option B: a 1x1 convolution and a batch norm where the shape changes, 16 -> 32 and 32 -> 64 channels
    assert degradation.shortcut_parameters(get_model("resnet20", shortcut="B")) == \
        (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64) == 2752
    text = degradation.describe_nets(["resnet20"], shortcut="B")
    assert "2,752 parameters in shortcuts" in text
    assert "0 parameters in shortcuts" in degradation.describe_nets(["resnet20"])


# ------------------------------------------------------------------------------------------ the helpers
def test_as_number_is_strict():
    assert checks.as_number(np.float64(2.5)) == 2.5
    assert checks.as_number(torch.tensor(3), integer=True) == 3
    assert checks.as_number(12.0, integer=True) == 12
    for bad, reason in (("12", "without quotes"), (None, "still None"), (True, "should be a number"),
                        (math.nan, "finite"), (math.inf, "finite"), (torch.ones(2), "one number"),
                        (12.9, "not a whole number")):
        with pytest.raises(checks.NotYet, match=reason):
            checks.as_number(bad, integer=True)


def test_tensor_helpers_reject_nan_and_wrong_shapes():
    assert checks.largest_difference(torch.tensor([1.0, math.nan]), torch.zeros(2)) == math.inf
    assert checks.largest_difference(torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0])) == 0.5
    with pytest.raises(checks.NotYet, match="NaN"):
        checks.as_tensor(torch.full((2, 2), math.nan), (2, 2))
    with pytest.raises(checks.NotYet, match=r"shape \[2\]; expected \[2, 2\]"):
        checks.as_tensor(torch.zeros(2), (2, 2))
    with pytest.raises(checks.NotYet, match="got None"):
        checks.as_tensor(None)


def test_a_learner_loop_is_stopped(monkeypatch):
    monkeypatch.setattr(checks, "TIME_LIMIT_S", 0.2)

    def loops(*args):
        while True:
            try:
                pass
            except Exception:   # a learner's broad except must not swallow the time limit
                pass

    result = toy2d.check_one_neuron_block(loops)
    assert not result.passed and "ran for more than 0.2 s" in result.message


def test_a_checker_prints_its_verdict_once(capsys):
    result = toy2d.check_parameter_count(None)
    assert capsys.readouterr().out == repr(result) + "\n" and repr(result).startswith("Not yet: ")
    result._ipython_display_()     # a cell ending in the checker's call: already printed, nothing more
    assert capsys.readouterr().out == ""
    result._ipython_display_()     # shown again later: printed
    assert capsys.readouterr().out.startswith("Not yet: ")


# ------------------------------------------------------------------------------------------ the checkers
def _stub(*args, **kwargs):
    raise NotImplementedError("your code here")


def _raises(*args, **kwargs):
    raise RuntimeError("a bug in the learner's code")


def _nan_tensor_like(shape):
    return lambda *args: torch.full(shape, math.nan)


class _StubClass(nn.Module):
    def __init__(self, *args):
        super().__init__()
        raise NotImplementedError


# notebook 01
def _is_degradation(shallow, deep, margin):
    return deep.final("train_error") > shallow.final("train_error") + margin


def _histories(train_errors):
    return {name: History(model=name, epoch=[1], epoch_iteration=[10], train_error=[error], eval_error=[error + 5])
            for name, error in train_errors.items()}


PLAIN = _histories({"plain20": 10.0, "plain32": 12.0, "plain44": 15.0, "plain56": 14.0})


# notebook 02
class _Unit(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.w1, self.w2 = nn.Linear(width, width), nn.Linear(width, width)

    def residual_branch(self, x):
        return self.w2(torch.relu(self.w1(x)))

    def forward(self, x):
        return x + self.residual_branch(x)


class _PlainUnit(_Unit):
    def forward(self, x):
        return self.residual_branch(x)


class _NanUnit(_Unit):
    def residual_branch(self, x):
        return super().residual_branch(x) * math.nan


class _RaisingUnit(_Unit):
    def forward(self, x):
        raise RuntimeError("shape mismatch")


def _autocorrelation(values, k):
    d = np.asarray(values) - np.mean(values)
    return (d[:len(d) - k] @ d[k:]) / (d @ d)


# notebook 03
def _block(z, U, b, V):
    return z + torch.relu(z @ U.T + b) @ V.T


def _count(width, depth, residual):
    return 5 * width * depth + 3 if residual else 3 * width + (depth - 1) * (width * width + width) + width + 1


def _set(net, values):
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.as_tensor(values[name], dtype=p.dtype))
    return net


def _triangle_net():
    angles = [2 * math.pi * k / 3 for k in range(3)]
    return _set(toy_nets.PlainNet(3, 1), {
        "layers.0.linear.weight": [[math.cos(t), math.sin(t)] for t in angles], "layers.0.linear.bias": [0, 0, 0],
        "output.weight": [[-1, -1, -1]], "output.bias": [1.5]})


def _half_plane_net():
    return _set(toy_nets.PlainNet(3, 1), {
        "layers.0.linear.weight": [[1, 0], [0, 0], [0, 0]], "layers.0.linear.bias": [0, 0, 0],
        "output.weight": [[1, 0, 0]], "output.bias": [-1.5]})


def _nan_net():
    net = toy_nets.PlainNet(3, 1)
    with torch.no_grad():
        net.output.bias.fill_(math.nan)
    return net


def _uniform_radius(n, r_min, r_max, generator):
    r = r_min + (r_max - r_min) * torch.rand(n, generator=generator)
    t = 2 * math.pi * torch.rand(n, generator=generator)
    return torch.stack([r * torch.cos(t), r * torch.sin(t)], 1)


# notebook 04
class _StrideIn1x1(Bottleneck):
    def __init__(self, in_channels, planes, stride=1):
        super().__init__(in_channels, planes, stride, stride_in_1x1=True)


class _NanBottleneck(Bottleneck):
    def forward(self, x):
        return super().forward(x) * math.nan


class _RaisingBottleneck(Bottleneck):
    def forward(self, x):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")


def _zero_pad(x, out_channels, stride):
    x = x[:, :, ::stride, ::stride]
    return F.pad(x, (0, 0, 0, 0, 0, out_channels - x.shape[1]))


def _pads_in_front(x, out_channels, stride):
    x = x[:, :, ::stride, ::stride]
    return F.pad(x, (0, 0, 0, 0, out_channels - x.shape[1], 0))


V1_V15 = 3 * (256 * 128 * (56 * 56 - 28 * 28))
COMMON = {"stub": _stub, "None": None, "NaN": math.nan, "raises": _raises}

# checker -> (run it on an answer, the reference answer, {name: wrong answer} beyond COMMON)
CHECKERS = {
    "check_is_degradation": (degradation.check_is_degradation, _is_degradation, {
        "returns None": lambda s, d, m: None,
        "returns NaN": lambda s, d, m: math.nan,
        "returns a string": lambda s, d, m: str(_is_degradation(s, d, m)),
        "compares test errors": lambda s, d, m: d.final("eval_error") > s.final("eval_error") + m,
        "always True": lambda s, d, m: True}),
    "check_depth_prediction": (lambda answer: degradation.check_depth_prediction(answer, PLAIN),
                               ["plain20", "plain32", "plain56", "plain44"], {
        "deepest first": ["plain56", "plain44", "plain32", "plain20"],
        "a string": "plain20 plain32 plain56 plain44",
        "a name missing": ["plain20", "plain32", "plain56"]}),
    "check_residual_unit": (gradient_flow.check_residual_unit, _Unit, {
        "stub class": _StubClass, "NaN unit": _NanUnit, "raising unit": _RaisingUnit, "plain unit": _PlainUnit,
        "an instance": _Unit(8)}),
    "check_scaled_shortcut_prediction": (gradient_flow.check_scaled_shortcut_prediction, 0.9 ** 54, {
        "a string": str(0.9 ** 54), "lambda times L": 0.9 * 54, "infinity": math.inf}),
    "check_autocorrelation": (gradient_flow.check_autocorrelation, _autocorrelation, {
        "returns NaN": lambda v, k: math.nan,
        "returns None": lambda v, k: None,
        "returns a string": lambda v, k: str(_autocorrelation(v, k)),
        "unnormalised": lambda v, k: _autocorrelation(v, k) * np.var(v) * len(v)}),
    "check_sample_annulus": (toy2d.check_sample_annulus, toy_nets.sample_annulus, {
        "returns NaN": _nan_tensor_like((20_000, 2)),
        "returns None": lambda *args: None,
        "uniform radius": _uniform_radius}),
    "check_one_neuron_block": (toy2d.check_one_neuron_block, _block, {
        "returns NaN": _nan_tensor_like((50, 2)),
        "returns a list": lambda z, U, b, V: _block(z, U, b, V).tolist(),
        "forgets z": lambda z, U, b, V: _block(z, U, b, V) - z}),
    "check_parameter_count": (toy2d.check_parameter_count, _count, {
        "returns NaN": lambda w, d, r: math.nan,
        "returns a string": lambda w, d, r: str(_count(w, d, r)),
        "right + 0.9": lambda w, d, r: _count(w, d, r) + 0.9,
        "plain width 2 only": lambda w, d, r: 6 * d + 3}),
    "check_bounded_net": (toy2d.check_bounded_net, _triangle_net(), {
        "NaN weights": _nan_net(), "half-plane": _half_plane_net(), "residual net": toy_nets.ResidualNet(2)}),
    "check_width2_answer": (toy2d.check_width2_answer, False, {
        "yes": True, "a string": "False", "zero": 0}),
    "check_bottleneck": (building.check_bottleneck, Bottleneck, {
        "stub class": _StubClass, "NaN block": _NanBottleneck, "raising block": _RaisingBottleneck,
        "stride in 1x1": _StrideIn1x1}),
    "check_zero_pad_shortcut": (building.check_zero_pad_shortcut, _zero_pad, {
        "returns NaN": lambda x, c, s: _zero_pad(x, c, s) * math.nan,
        "returns None": lambda x, c, s: None,
        "pads in front": _pads_in_front}),
    "check_v1_v15_difference": (building.check_v1_v15_difference, V1_V15, {
        "right + 0.9": V1_V15 + 0.9, "a string": str(V1_V15), "one stage only": V1_V15 // 3,
        "Ellipsis": ..., "a tensor of two": torch.tensor([V1_V15, 0])}),
}

WRONG = [(checker, name, answer) for checker, (_, _, wrong) in CHECKERS.items()
         for name, answer in {**COMMON, **wrong}.items()]


@pytest.mark.parametrize("checker", list(CHECKERS))
def test_reference_answer_passes(checker, capsys):
    run, reference, _ = CHECKERS[checker]
    result = run(reference)
    assert isinstance(result, checks.Check) and result.passed, result
    assert capsys.readouterr().out == f"Correct: {result.message}\n"


@pytest.mark.parametrize("checker, name, answer", WRONG, ids=[f"{c}-{n}" for c, n, _ in WRONG])
def test_wrong_answer_is_not_yet(checker, name, answer, capsys):
    run, _, _ = CHECKERS[checker]
    result = run(answer)   # never raises
    assert isinstance(result, checks.Check) and not result.passed and result.message, result
    assert "checking your answer raised" not in result.message, result   # a specific reason, not a crash
    assert capsys.readouterr().out == f"Not yet: {result.message}\n"
