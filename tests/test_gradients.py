"""Gradient flow: the residual formula's identities, measurements, the recorder, the explorer, the exercises."""
import json
import math
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

matplotlib.use("Agg")

from resnet_lab.lessons.gradient_flow import residual_formula as rf  # noqa: E402
from resnet_lab.lessons.gradient_flow import exercises as ex  # noqa: E402
from resnet_lab.lessons.gradient_flow import experiments  # noqa: E402
from resnet_lab.gradients import (GradientFlow, GradientRecorder, autocorrelation, find_blocks,  # noqa: E402
                                  input_gradients, measure_gradient_flow)
from resnet_lab.lessons.gradient_flow.stacks import Stack, make_stack  # noqa: E402


@pytest.fixture()
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


# ---------------------------------------------------------------- the residual formula
def test_unrolled_sum_holds_to_float64_precision(float64):
    stack = make_stack(30, True, width=16, in_features=4, init_scale=0.5)
    x = torch.randn(32, 4, generator=torch.Generator().manual_seed(0))
    states = stack.states(x)
    scale = float(states[-1].detach().abs().max())
    for l in (0, 10, 29):
        assert rf.unrolled_sum_difference(stack, x, l) <= 1e-13 * scale


def test_unrolled_sum_fails_for_a_wrong_sum(float64):
    stack = make_stack(5, True, width=8, in_features=4)
    x = torch.randn(3, 4)
    states = stack.states(x)
    # leaving out one unit's F breaks the sum by exactly that F
    partial = states[0] + sum(stack.units[i].residual_branch(states[i]) for i in range(4))
    assert float((states[-1] - partial).detach().abs().max()) > 1e-3


def test_gradient_identity_residual_and_plain(float64):
    x = torch.randn(1, 4, generator=torch.Generator().manual_seed(1))
    for residual in (True, False):
        stack = make_stack(20, residual, width=12, in_features=4, init_scale=0.7)
        for l in (0, 7):
            check = rf.check_gradient_identity(stack, x, l)
            assert check.relative_difference < 1e-11, (residual, l, check)
    # the identity term alone is not the whole gradient: the branch sum matters
    check = rf.check_gradient_identity(make_stack(20, True, width=12, in_features=4), x, 0)
    assert float((check.autograd - check.direct_term).norm()) > 1e-3 * float(check.autograd.norm())


def test_formula_checks_refuse_stacks_they_do_not_describe():
    with pytest.raises(ValueError, match="identity shortcuts"):
        rf.unrolled_sum_difference(make_stack(3, False), torch.randn(2, 16))
    with pytest.raises(ValueError, match="identity shortcuts"):
        rf.unrolled_sum_difference(make_stack(3, True, shortcut_scale=0.5), torch.randn(2, 16))
    with pytest.raises(ValueError, match="one input row"):
        rf.unit_jacobians(make_stack(3, True), torch.randn(2, 16))
    with pytest.raises(TypeError, match="Stack"):
        rf.unrolled_sum_difference(nn.Linear(2, 2), torch.randn(2, 2))


def test_near_identity_fits_with_the_identity_initialised_control():
    curves = rf.compare_near_identity_fits(steps=150, n=128)
    assert list(curves) == ["plain", "residual", "plain, identity init"]
    assert all(len(c) == 151 for c in curves.values())
    assert curves["residual"][-1] < 0.2 * curves["plain"][-1]
    # the control starts exactly at the identity: its first error is that of H(x) = x, mean (0.1 tanh x)^2
    x = 2.0 * torch.randn(128, 8, generator=torch.Generator().manual_seed(0))
    assert curves["plain, identity init"][0] == pytest.approx(float((0.1 * torch.tanh(x)).pow(2).mean()), rel=1e-5)
    assert curves["plain, identity init"][-1] < curves["residual"][-1]
    assert rf.steps_to_reach([3.0, 2.0, 0.5], 1.0) == 2 and rf.steps_to_reach([3.0], 1.0) is None
    assert torch.allclose(rf.near_identity_target(torch.tensor([5.0])), torch.tensor([5.1]), atol=1e-3)


def test_initialise_to_identity_makes_a_plain_net_compute_x_and_keeps_it_trainable():
    torch.manual_seed(0)
    net = rf.initialise_to_identity(rf.NearIdentityNet(features=4, hidden=12, units=3, residual=False))
    x = 3.0 * torch.randn(50, 4)
    assert torch.allclose(net(x), x, atol=1e-5)
    loss = nn.functional.mse_loss(net(x), rf.near_identity_target(x))
    loss.backward()
    # the hidden units beyond the 2 * features that carry the identity have output weights 0, yet a gradient
    assert all(float(b[2].weight.grad[:, 8:].abs().sum()) > 0 for b in net.branches)
    with pytest.raises(ValueError, match="plain NearIdentityNet"):
        rf.initialise_to_identity(rf.NearIdentityNet(residual=True))
    with pytest.raises(ValueError, match="at least 8 hidden units"):
        rf.initialise_to_identity(rf.NearIdentityNet(features=4, hidden=6, residual=False))


# ---------------------------------------------------------------- measure_gradient_flow
class TwoLinear(nn.Module):
    """out = W_b (W_a x), with W_b registered first so registration order != forward order."""

    def __init__(self):
        super().__init__()
        self.second = nn.Linear(3, 1, bias=False)
        self.first = nn.Linear(2, 3, bias=False)

    def forward(self, x):
        return self.second(self.first(x))


def test_measure_gradient_flow_matches_hand_computed_gradients(float64):
    model = TwoLinear()
    x = torch.randn(5, 2, generator=torch.Generator().manual_seed(0))
    t = torch.randn(5, 1, generator=torch.Generator().manual_seed(1))
    flow = measure_gradient_flow(model, x, t)
    W_a, W_b = model.first.weight.detach(), model.second.weight.detach()
    h = x @ W_a.T
    r = 2.0 / 5 * (h @ W_b.T - t)                   # dE/dout for E = mean squared error, [5, 1]
    grad_W_b = r.T @ h                              # [1, 3]
    grad_W_a = (r @ W_b).T @ x                      # [3, 2]
    assert flow.layers == ["first", "second"]       # forward order
    np.testing.assert_allclose(flow.weight_grad_norms, [grad_W_a.norm(), grad_W_b.norm()], rtol=1e-12)
    np.testing.assert_allclose(flow.weight_norms, [W_a.norm(), W_b.norm()], rtol=1e-12)
    # no blocks: measured at every weight layer's output, in registration order
    assert flow.blocks == ["second", "first"]
    np.testing.assert_allclose(flow.activation_grad_norms, [r.norm(), (r @ W_b).norm()], rtol=1e-12)
    assert flow.loss == pytest.approx(float(((h @ W_b.T - t) ** 2).mean()), rel=1e-12)
    assert json.loads(json.dumps(flow.to_dict())) == flow.to_dict()
    assert GradientFlow.from_dict(flow.to_dict()) == flow


def test_measure_gradient_flow_leaves_the_model_as_it_was():
    model = make_stack(4, True, batchnorm=True)
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    flow = measure_gradient_flow(model, torch.randn(8, 16) * 3 + 1, torch.randn(8, 1))
    assert not model.training and all(not m.training for m in model.modules())
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert flow.blocks == [f"units.{i}" for i in range(4)]
    assert flow.layers == ["input_layer"] + [f"units.{i}.linear" for i in range(4)] + ["head"]
    assert all(v > 0 for v in flow.activation_grad_norms + flow.weight_grad_norms)


def test_measure_gradient_flow_on_the_cifar_nets_finds_every_block():
    from resnet_lab.models import get_model

    x, y = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 3])
    for name in ("plain8", "resnet8"):
        flow = measure_gradient_flow(get_model(name, width=4), x, y)
        assert len(flow.layers) == 8 and len(flow.blocks) == 3
        assert flow.layers[0] == "conv1" and flow.layers[-1] == "fc"
        assert flow.blocks == ["layer1.0", "layer2.0", "layer3.0"]


def test_measure_gradient_flow_errors_say_what_to_do():
    model = make_stack(2, True)
    with pytest.raises(ValueError, match="needs targets y"):
        measure_gradient_flow(model, torch.randn(4, 16))
    with pytest.raises(ValueError, match="output's shape"):
        measure_gradient_flow(model, torch.randn(4, 16), torch.randn(4, 2))
    with pytest.raises(TypeError, match="nn.Module"):
        measure_gradient_flow(lambda x: x, torch.randn(4, 16), torch.randn(4, 1))
    with pytest.raises(ValueError, match="no submodule 'nope'"):
        find_blocks(model, ["nope"])
    with pytest.raises(ValueError, match="kind must be"):
        GradientFlow([], [], [], [], [], [], 0.0).norms("bias")


def test_scaled_shortcut_gradient_is_lambda_to_the_power_of_depth(float64):
    depth, lam = 12, 0.9
    stack = make_stack(depth, True, in_features=8, init_scale=0.0, shortcut_scale=lam)   # F = 0
    flow = measure_gradient_flow(stack, torch.randn(6, 8), torch.randn(6, 1))
    norms = flow.norms("activation")                         # at x_1 .. x_L
    expected = lam ** (depth - 1 - np.arange(depth))         # x_l -> x_L passes L - l shortcuts
    np.testing.assert_allclose(norms / norms[-1], expected, rtol=1e-12)
    assert ex.scaled_shortcut_ratio(lam, 54) == pytest.approx(lam ** 54, rel=1e-12)


# ---------------------------------------------------------------- GradientRecorder
def test_recorder_records_every_k_iterations_and_round_trips(tmp_path):
    torch.manual_seed(0)
    model = make_stack(3, True, width=8, in_features=4)
    recorder = GradientRecorder(model, every=2, label="stack")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    expected = {}
    for iteration in range(5):
        x, y = torch.randn(8, 4), torch.randn(8, 1)
        optimizer.zero_grad()
        out = model.states(x)
        out[-1].retain_grad()
        loss = nn.functional.mse_loss(model.head(out[-1]), y)
        loss.backward()
        expected[iteration] = ([float(model.input_layer.weight.grad.norm()), float(model.head.weight.grad.norm())],
                               float(out[-1].grad.norm()))
        recorder(iteration, model)
        optimizer.step()
    recorder.close()
    assert recorder.iterations == [0, 2, 4]
    assert recorder.layers == ["input_layer", "units.0.linear", "units.1.linear", "units.2.linear", "head"]
    assert recorder.blocks == ["units.0", "units.1", "units.2"]
    for row, it in enumerate(recorder.iterations):
        weights, last_block = expected[it]
        assert recorder.weight_grad_norms[row][0] == pytest.approx(weights[0], rel=1e-6)
        assert recorder.weight_grad_norms[row][-1] == pytest.approx(weights[1], rel=1e-6)
        assert recorder.activation_grad_norms[row][-1] == pytest.approx(last_block, rel=1e-6)
    assert recorder.array("weight").shape == (3, 5) and recorder.array("activation").shape == (3, 3)
    path = recorder.save(tmp_path / "g.json")
    assert json.loads(path.read_text())["iterations"] == recorder.iterations == [0, 2, 4]
    loaded = GradientRecorder.load(path)
    assert loaded.to_dict() == recorder.to_dict()
    assert loaded.flow(-1).weight_grad_norms == recorder.weight_grad_norms[-1]
    with pytest.raises(ValueError, match="every must be"):
        GradientRecorder(every=0)


def test_recorder_as_after_backward_of_train(tiny_images):
    from resnet_lab.models import get_model
    from resnet_lab.config import Recipe
    from resnet_lab.training import train

    train_set, test_set = tiny_images
    torch.manual_seed(0)
    model = get_model("plain8", width=4)
    recorder = GradientRecorder(model, every=3)
    train(model, train_set, test_set, Recipe(iterations=7, batch_size=16, precision="fp32"), device="cpu",
          progress=False, after_backward=recorder)
    assert recorder.iterations == [0, 3, 6]
    assert recorder.array("weight").shape == (3, 8) and recorder.array("activation").shape == (3, 3)
    assert np.isfinite(recorder.array("activation")).all() and (recorder.array("weight") > 0).all()


def test_train_and_record_trains_once_then_loads(tiny_images, tmp_path, capsys):
    from resnet_lab.runs import load_records as load_recorded, train_and_record
    from resnet_lab.config import get_scale

    train_set, test_set = tiny_images
    data = SimpleNamespace(train=train_set, test=test_set, source="random test images")
    scale = get_scale("smoke").replace(name="tiny", train_per_class=None, test_per_class=None, epochs=None,
                                       iterations=4, batch_size=16)
    history, recorder = train_and_record("resnet8", data, scale, every=2, runs=tmp_path, progress=False,
                                         device="cpu")
    assert history.completed and recorder.iterations == [0, 2]
    again_history, again = train_and_record("resnet8", data, scale, every=2, runs=tmp_path, device="cpu")
    assert "Loaded resnet8" in capsys.readouterr().out
    assert again.to_dict() == recorder.to_dict() and again_history.iter_loss == history.iter_loss
    assert load_recorded("resnet8", data, scale, every=5, runs=tmp_path) is None


# ---------------------------------------------------------------- shattered gradients
def test_input_gradients_are_per_row_derivatives(float64):
    model = nn.Sequential(nn.Linear(1, 1))
    x = torch.linspace(-1, 1, 6)[:, None]
    np.testing.assert_allclose(input_gradients(model, x)[:, 0], [float(model[0].weight.detach())] * 6, rtol=1e-12)
    stack = make_stack(3, True, width=8, in_features=1, batchnorm=True)
    before = {k: v.clone() for k, v in stack.state_dict().items()}
    g = input_gradients(stack, x)
    step = 1e-6   # finite differences with the statistics of x held fixed
    stack.eval()
    for m in stack.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.momentum = 1.0
    stack.train()
    with torch.no_grad():
        stack(x)
    stack.eval()
    with torch.no_grad():
        numeric = (stack(x + step) - stack(x - step))[:, 0] / (2 * step)
    np.testing.assert_allclose(g[:, 0], numeric, rtol=1e-6)
    fresh = make_stack(3, True, width=8, in_features=1, batchnorm=True)
    input_gradients(fresh, x)
    assert all(torch.equal(before[k], v) for k, v in fresh.state_dict().items())


def test_biases_spread_the_kinks_and_leave_the_weights_alone():
    x = torch.linspace(-2, 2, 256)[:, None]
    bare = make_stack(1, False, width=200, in_features=1, batchnorm=True)
    biased = make_stack(1, False, width=200, in_features=1, batchnorm=True, bias_std=1.0)
    weights = dict(biased.named_parameters())
    assert all(torch.equal(p, weights[name]) for name, p in bare.named_parameters())
    assert float(biased.units[0].bias.detach().std()) == pytest.approx(1.0, abs=0.15)
    distinct = {name: len(np.unique(np.round(input_gradients(s, x)[:, 0].numpy(), 4)))
                for name, s in (("bare", bare), ("biased", biased))}
    # without biases BatchNorm puts every kink at the mean of x: df/dx takes 2 values; with them, one per piece
    assert distinct["bare"] == 2 and distinct["biased"] > 50
    with pytest.raises(ValueError, match="bias_std"):
        Stack(2, bias_std=-1.0)


def test_deep_plain_gradients_shatter_residual_ones_do_not():
    x, gradients = experiments.shattered_gradients(depth=50, width=200, points=256)
    assert x.shape == (256,) and float(x[0]) == -2.0 and float(x[-1]) == 2.0
    r = {label.split(",")[0] + (" shallow" if "shallow" in label else ""): autocorrelation(g, 10)
         for label, g in gradients.items()}
    assert set(r) == {"plain shallow", "plain", "residual"}
    assert r["plain shallow"][1] > 0.9
    assert np.abs(r["plain"][1:]).mean() < 0.2
    assert r["residual"][1] > 0.5


def test_shattering_vs_depth_plain_collapses_residual_does_not():
    sweep = experiments.shattering_vs_depth(depths=(1, 32), seeds=(0, 1), width=100)
    assert set(sweep) == {"plain", "residual"} and all(set(v) == {1, 32} for v in sweep.values())
    assert all(len(r) == 2 for v in sweep.values() for r in v.values())
    assert min(sweep["plain"][1]) > 0.9 and max(abs(r) for r in sweep["plain"][32]) < 0.3
    assert min(sweep["residual"][32]) > 0.6
    with pytest.raises(ValueError, match="low < high"):
        experiments.shattering_vs_depth(depths=(1,), low=1.0, high=-1.0)


def test_probe_learning_rates_follow_the_warm_up():
    from resnet_lab.config import Recipe

    images = SimpleNamespace(labels=torch.arange(64) % 10)
    data = SimpleNamespace(train=images, test=images)
    recipe = Recipe(iterations=20, batch_size=16, lr=0.1, warmup_epochs=1)   # 4 batches per epoch: 4 of warm-up
    assert experiments.probe_learning_rates(data, recipe, range(6)) == pytest.approx([0.025, 0.05, 0.075, 0.1,
                                                                                     0.1, 0.1])
    assert experiments.probe_learning_rates(data, recipe.replace(warmup_epochs=0), [0, 19]) == [0.1, 0.1]
    with pytest.raises(ValueError, match="make no batch"):
        experiments.probe_learning_rates(data, recipe.replace(batch_size=128), [0])


def test_autocorrelation_reference_values():
    r = autocorrelation([1.0, -1.0, 1.0, -1.0])
    np.testing.assert_allclose(r, [1.0, -0.75, 0.5, -0.25])
    with pytest.raises(ValueError, match="constant"):
        autocorrelation([2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="max_lag"):
        autocorrelation([1.0, 2.0], 5)


# ---------------------------------------------------------------- stacks, explorer
def test_stack_checks_its_input_and_options():
    with pytest.raises(ValueError, match="depth must be a positive whole number"):
        Stack(0)
    with pytest.raises(ValueError, match="init_scale"):
        Stack(2, init_scale=-1.0)
    with pytest.raises(ValueError, match=r"unsqueeze\(1\)"):
        Stack(2, in_features=1)(torch.randn(5))
    plain, residual = make_stack(3, False, seed=4), make_stack(3, True, seed=4)
    assert all(torch.equal(a, b) for a, b in zip(plain.parameters(), residual.parameters()))


def test_explorer_redraws_headless_and_quickly():
    from resnet_lab.lessons.gradient_flow.explorer import GradientFlowExplorer

    explorer = GradientFlowExplorer()
    fig = explorer.update(depth=110, residual=True, batchnorm=True, init_scale=1.0, shortcut_scale=1.0)
    assert len(fig.axes) == 2 and "residual-110, with BatchNorm" in fig.get_suptitle()
    fig = explorer.update(residual=False)
    assert "plain-110" in fig.get_suptitle()
    assert explorer.last_seconds > 0   # measured (how fast is for the benchmark, not a pass/fail test)
    # He init without BatchNorm: every residual unit doubles the variance, so the gradient explodes
    assert explorer.measure(depth=110, residual=True, batchnorm=False).ratio() > 1e10
    assert 0.01 < explorer.measure(depth=110, residual=False, batchnorm=False).ratio() < 1
    with pytest.raises(TypeError, match="unknown setting"):
        explorer.update(lr=0.1)
    import ipywidgets

    assert isinstance(explorer.widget(), ipywidgets.VBox)


def test_training_explorer_on_records_of_a_tiny_run(tiny_images, tmp_path):
    import ipywidgets

    from resnet_lab.config import get_scale
    from resnet_lab.lessons.gradient_flow.explorer import TrainingGradientExplorer
    from resnet_lab.runs import train_and_record

    train_set, test_set = tiny_images
    data = SimpleNamespace(train=train_set, test=test_set, source="random test images")
    scale = get_scale("smoke").replace(name="tiny", train_per_class=None, test_per_class=None, epochs=None,
                                       iterations=4, batch_size=16, precision="fp32")
    records = {m: train_and_record(m, data, scale, every=2, runs=tmp_path, progress=False, device="cpu")[1]
               for m in ("plain8", "resnet8")}
    explorer = TrainingGradientExplorer(records)
    assert explorer.iterations == [0, 2]
    fig = explorer.update(iteration=2, kind="weight")
    ax = fig.axes[0]
    assert "iteration 2" in ax.get_title() and "faint dashed: iteration 0" in ax.get_title()
    bold = {line.get_label(): line.get_ydata() for line in ax.lines if line.get_alpha() in (None, 1.0)
            and not line.get_label().startswith("_")}
    assert set(bold) == {"plain8", "resnet8"}
    np.testing.assert_allclose(bold["plain8"], records["plain8"].weight_grad_norms[1])
    assert ax.get_ylim() == pytest.approx(explorer.limits["weight"])   # the same axis at every iteration
    fig = explorer.update(iteration=0, kind="activation", models=["resnet8"])
    (line,) = [ln for ln in fig.axes[0].lines if ln.get_label() == "resnet8"]
    first = records["resnet8"].activation_grad_norms[0]
    np.testing.assert_allclose(line.get_ydata(), np.asarray(first) / first[-1])
    with pytest.raises(ValueError, match="nearest recorded one is 2"):
        explorer.update(iteration=3)
    with pytest.raises(ValueError, match="kind must be"):
        explorer.update(kind="bias")
    with pytest.raises(ValueError, match="models must be some of plain8, resnet8"):
        explorer.update(models=["plain20"])
    with pytest.raises(ValueError, match="at least one model"):
        TrainingGradientExplorer({})
    panel = explorer.widget()
    assert isinstance(panel, ipywidgets.VBox)
    slider = panel.children[0]
    assert list(slider.options) == [0, 2]
    slider.value = 2                                   # moving the slider redraws at that iteration
    assert explorer.settings["iteration"] == 2
    static = explorer.show(iteration=0, kind="weight")
    assert "iteration 0" in static.axes[0].get_title()


# ---------------------------------------------------------------- exercise checkers
class GoodUnit(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.w1, self.w2 = nn.Linear(width, width), nn.Linear(width, width)

    def residual_branch(self, x):
        return self.w2(torch.relu(self.w1(x)))

    def forward(self, x):
        return x + self.residual_branch(x)


class PlainUnit(GoodUnit):
    def forward(self, x):
        return self.residual_branch(x)


class ReluAfterSum(GoodUnit):
    def forward(self, x):
        return torch.relu(x + self.residual_branch(x))


class DetachedBranch(GoodUnit):
    def forward(self, x):
        return x + self.residual_branch(x).detach()


class NoParameters(nn.Module):
    def __init__(self, width):
        super().__init__()

    def residual_branch(self, x):
        return torch.relu(x)

    def forward(self, x):
        return x + self.residual_branch(x)


def test_residual_unit_checker_accepts_right_and_rejects_wrong_units():
    good = ex.check_residual_unit(GoodUnit)
    assert good.passed and repr(good).startswith("Correct")
    for wrong, hint in ((PlainUnit, "x + residual_branch"), (ReluAfterSum, "no ReLU"),
                        (DetachedBranch, "gradient through your stack"), (NoParameters, "no trainable")):
        result = ex.check_residual_unit(wrong)
        assert not result.passed and repr(result).startswith("Not yet") and hint in result.message, wrong
    # answers that are not a unit class at all: "Not yet" with the reason, never an exception
    no_branch = type("NoBranch", (nn.Module,), {"__init__": lambda self, width: nn.Module.__init__(self)})
    for wrong, hint in ((no_branch, "needs a method residual_branch(x)"),
                        (nn.Linear, "Linear(width) raised TypeError"),
                        (GoodUnit(4), "pass your unit's class"), (None, "got None")):
        result = ex.check_residual_unit(wrong)
        assert not result.passed and hint in result.message, (wrong, result)


def test_other_checkers():
    assert ex.check_scaled_shortcut_prediction(0.9 ** 54).passed
    assert not ex.check_scaled_shortcut_prediction(0.9 * 54).passed
    assert not ex.check_scaled_shortcut_prediction("a lot").passed

    def right(values, k):
        d = np.asarray(values) - np.mean(values)
        return (d[:len(d) - k] @ d[k:]) / (d @ d)

    def unnormalised(values, k):
        d = np.asarray(values) - np.mean(values)
        return d[:len(d) - k] @ d[k:]

    assert ex.check_autocorrelation(right).passed
    assert not ex.check_autocorrelation(unnormalised).passed
    assert "raised ZeroDivisionError" in ex.check_autocorrelation(lambda v, k: 1 / 0).message
