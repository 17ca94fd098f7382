"""Notebook 05's measurements and checkers: the formula on real units, signal propagation, and exercises that
cannot be fooled."""
import math

import pytest
import torch

from resnet_lab.lessons import identity
from resnet_lab.lessons.identity.explorer import SignalExplorer


def test_the_formula_holds_exactly_only_when_nothing_follows_the_addition():
    checks = identity.check_all_placements(depth=20)
    for placement in ("relu_before_add", "relu_preact", "full_preact"):
        assert checks[placement].forward_gap < 1e-13 and checks[placement].backward_gap < 1e-13
        assert checks[placement].units == 2 and checks[placement].dropped_gradient == 0
    for placement in ("original", "bn_after_add"):
        assert checks[placement].forward_gap > 0.05 and checks[placement].backward_gap > 0.05
        assert checks[placement].dropped_gradient > 0.2


def test_signal_profiles_record_every_unit_and_zero_branches_pass_the_signal_unchanged():
    profile = identity.measure_signal(20, placement="original", batchnorm=False, init="zero_last")
    assert len(profile.forward) == len(profile.backward) == 1 + 9
    # every branch is zero: within a stage the stream is unchanged; option A halves the RMS (half the channels are
    # zero) at each of the two downsamplings, and the gradient's RMS doubles there for the same reason
    assert profile.forward_growth == pytest.approx(0.5, rel=0.1)
    assert profile.forward[1:4] == pytest.approx([profile.forward[1]] * 3, rel=1e-12)
    exploding = identity.measure_signal(56, placement="original", batchnorm=False)
    # x + F(x) with F of x's variance at He init: the variance doubles each unit, the RMS grows by about 2^(27/2)
    assert 2 ** 12 < exploding.forward_growth < 2 ** 15 and math.isfinite(exploding.gradient_ratio)
    assert identity.measure_signal(56, placement="original", batchnorm=False) is exploding   # cached


def test_the_explorer_says_why_a_combination_cannot_be_built():
    explorer = SignalExplorer()
    assert explorer.update(init="fixup", batchnorm=True) is None and "untick BatchNorm" in explorer.message
    assert explorer.update(batchnorm=True, init="skipinit", residual=False) is None
    fig = explorer.update(residual=True, init="he", depth=20)
    assert fig is not None and explorer.last_seconds > 0 and "(e) full pre-activation" in fig.texts[0].get_text()
    with pytest.raises(TypeError, match="unknown setting"):
        explorer.update(dpeth=20)


@pytest.mark.parametrize("answer, message", [
    (lambda layers, x: None, "should be a torch tensor"),
    (lambda layers, x: x * float("nan"), "NaN or infinite"),
    (lambda layers, x: x, "largest difference from the reference"),
    (lambda layers, x: layers.unit(x), "raised AttributeError"),      # the unit itself is not given
    (lambda l, x: l.bn2(l.conv2(torch.relu(l.bn1(l.conv1(torch.relu(x)))))) + x, "left out the batch norms|"
                                                                                  "largest difference"),
    (lambda l, x: torch.relu(l.bn2(l.conv2(torch.relu(l.bn1(l.conv1(x))))) + x), "original unit"),
])
def test_the_unit_checker_rejects_wrong_units(answer, message):
    result = identity.check_preact_unit(answer)
    assert not result.passed and message.split("|")[0] in result.message or message.split("|")[-1] in result.message


@pytest.mark.parametrize("answer, message", [
    (lambda g, x, f: g, "dE/dx_L alone"),
    (lambda g, x, f: torch.autograd.grad(f, x, g, retain_graph=True)[0], "only the term through the branches"),
    (lambda g, x, f: 2 * g, "relative difference"),
    (lambda g, x, f: "g", "should be a torch tensor"),
])
def test_the_formula_checker_rejects_partial_answers(answer, message):
    result = identity.check_formula_gradient(answer)
    assert not result.passed and message in result.message


@pytest.mark.parametrize("answer, message", [
    (lambda L, m: L ** (1 / (2 * m - 2)), "exponent is negative"),
    (lambda L, m: L ** (-1 / (2 * m)), "not -1/(2m)"),
    (lambda L, m: "0.136", "without quotes"),
    (lambda L, m: float("nan"), "finite"),
    (lambda L, m: 0.136, "expected a number that shrinks"),
])
def test_the_fixup_checker_rejects_wrong_exponents_and_constants(answer, message):
    result = identity.check_fixup_factor(answer)
    assert not result.passed and message in result.message


def test_the_formula_checker_explains_an_elementwise_product_and_survives_a_freed_graph():
    result = identity.check_formula_gradient(lambda g, x, f: g * (1 + torch.autograd.grad(f.sum(), x)[0]))
    assert not result.passed and "vector-Jacobian product" in result.message
    result = identity.check_formula_gradient(lambda g, x, f: torch.autograd.grad(f, x, g)[0])   # frees the graph
    assert not result.passed and "only the term through the branches" in result.message


def test_the_fixup_checker_is_not_fooled_by_a_table_of_the_named_nets():
    table = {(54, 2): 54 ** -0.5, (54, 3): 54 ** -0.25, (9, 2): 1 / 3, (333, 3): 333 ** -0.25}
    result = identity.check_fixup_factor(lambda L, m: table[(L, m)])
    assert not result.passed and "KeyError" in result.message
