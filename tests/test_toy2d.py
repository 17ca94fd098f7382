"""The 2D toy experiment: data, nets, stacked training and the exact boundedness checks."""
import math

import pytest
import torch

from resnet_lab.lessons.toy2d import boundedness
from resnet_lab.lessons.toy2d import nets as toy2d
from resnet_lab.models import count_parameters


def set_parameters(net, values):
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.as_tensor(values[name], dtype=p.dtype))
    return net


def half_plane_net():
    """f(z) = ReLU(z_1) - 0.5: positive exactly on the half-plane z_1 > 0.5."""
    return set_parameters(toy2d.PlainNet(2, 1), {
        "layers.0.linear.weight": [[1, 0], [0, 0]], "layers.0.linear.bias": [0, 0],
        "output.weight": [[1, 0]], "output.bias": [-0.5]})


def dead_net():
    """Every weight zero, output bias -1: f = -1 everywhere."""
    return set_parameters(toy2d.PlainNet(2, 3), {
        name: torch.zeros_like(p) if name != "output.bias" else [-1.0]
        for name, p in toy2d.PlainNet(2, 3).named_parameters()})


def diamond_net(c=1.7):
    """Two one-neuron blocks fold z_1 -> -|z_1| and z_2 -> -|z_2|; f = z_1 + z_2 + c = c - |z_1| - |z_2|."""
    return set_parameters(toy2d.ResidualNet(2), {
        "layers.0.U.weight": [[1, 0]], "layers.0.U.bias": [0], "layers.0.V.weight": [[-2], [0]],
        "layers.1.U.weight": [[0, 1]], "layers.1.U.bias": [0], "layers.1.V.weight": [[0], [-2]],
        "output.weight": [[1, 1]], "output.bias": [c]})


# ------------------------------------------------------------------------------------------------ data
def test_rings_radii_labels_and_balance():
    points, labels = toy2d.sample_rings(2001, seed=3)
    assert points.shape == (2001, 2) and labels.shape == (2001,)
    radius = points.norm(dim=1)
    assert int((labels == 1).sum()) == 1001 and int((labels == -1).sum()) == 1000
    assert float(radius[labels == 1].max()) <= 1.0 + 1e-6
    ring = radius[labels == -1]
    assert float(ring.min()) >= 2.0 - 1e-6 and float(ring.max()) <= 3.0 + 1e-6


def test_rings_are_uniform_by_area():
    points, labels = toy2d.sample_rings(40_000, seed=0)
    r = points.norm(dim=1)
    disc, ring = r[labels == 1], r[labels == -1]
    # by area, half the disc lies inside radius sqrt(1/2) and half the ring inside sqrt((4 + 9) / 2)
    assert abs(float((disc < math.sqrt(0.5)).float().mean()) - 0.5) < 0.015
    assert abs(float((ring < math.sqrt(6.5)).float().mean()) - 0.5) < 0.015
    # uniform radius (a common mistake) would put 0.707 of the disc points inside sqrt(1/2)
    for quadrant in [(1, 1), (1, -1), (-1, 1), (-1, -1)]:
        inside = ((points[:, 0] * quadrant[0] > 0) & (points[:, 1] * quadrant[1] > 0)).float().mean()
        assert abs(float(inside) - 0.25) < 0.01


def test_rings_seeded_and_checked():
    a, _ = toy2d.sample_rings(100, seed=5)
    b, _ = toy2d.sample_rings(100, seed=5)
    c, _ = toy2d.sample_rings(100, seed=6)
    assert torch.equal(a, b) and not torch.equal(a, c)
    with pytest.raises(ValueError, match="positive whole number"):
        toy2d.sample_rings(0)
    with pytest.raises(ValueError, match="r_min < r_max"):
        toy2d.sample_annulus(10, 3.0, 2.0, torch.Generator())


# ------------------------------------------------------------------------------------------------ nets
def test_one_neuron_block_shapes_and_formula():
    block = toy2d.ResidualBlock(2, 1)
    assert block.U.weight.shape == (1, 2) and block.U.bias.shape == (1,)
    assert block.V.weight.shape == (2, 1) and block.V.bias is None
    z = torch.randn(7, 2)
    expected = z + torch.relu(z @ block.U.weight.T + block.U.bias) @ block.V.weight.T
    assert torch.allclose(block(z), expected, atol=1e-6)


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_parameter_counts(depth):
    # plain width 2: (2*2 + 2) + (depth - 1) * (2*2 + 2) + (2 + 1) = 6 depth + 3
    assert count_parameters(toy2d.PlainNet(2, depth)) == 6 * depth + 3
    # plain width 3: (2*3 + 3) + (depth - 1) * (3*3 + 3) + (3 + 1)
    assert count_parameters(toy2d.PlainNet(3, depth)) == 9 + 12 * (depth - 1) + 4
    # one-neuron residual: U (2) + b (1) + V (2) per block, then 2 + 1
    assert count_parameters(toy2d.ResidualNet(depth)) == 5 * depth + 3


def test_nets_output_shape_seed_and_errors():
    net = toy2d.make_net(2, 3, residual=False, seed=4)
    assert net(torch.zeros(9, 2)).shape == (9,)
    assert toy2d.describe(net) == "plain w2 d3"
    same = toy2d.make_net(2, 3, residual=False, seed=4)
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), same.parameters()))
    with pytest.raises(ValueError, match="depth must be a whole number >= 1"):
        toy2d.PlainNet(2, 0)
    with pytest.raises(ValueError, match=r"shape \[n, 2\]"):
        net(torch.zeros(4, 3))


def test_stacked_training_equals_training_alone():
    points, labels = toy2d.sample_rings(200, seed=0)
    alone = toy2d.ResidualNet(4, seed=2)
    toy2d.train_nets([alone], points, labels, steps=50)
    together = [toy2d.ResidualNet(2, seed=1), toy2d.ResidualNet(4, seed=2), toy2d.ResidualNet(3, seed=0)]
    toy2d.train_nets(together, points, labels, steps=50)
    for p, q in zip(alone.parameters(), together[1].parameters()):
        assert torch.allclose(p, q, atol=1e-5)
    reference = toy2d.PlainNet(2, 2, seed=0)
    optimizer = torch.optim.Adam(reference.parameters(), lr=0.01)
    for _ in range(50):
        optimizer.zero_grad()
        toy2d.logistic_loss(reference(points), labels).backward()
        optimizer.step()
    stacked = [toy2d.PlainNet(2, 3, seed=5), toy2d.PlainNet(2, 2, seed=0)]
    toy2d.train_nets(stacked, points, labels, steps=50)
    for p, q in zip(reference.parameters(), stacked[1].parameters()):
        assert torch.allclose(p, q, atol=1e-5)


def test_depth5_residual_net_learns_the_rings():
    points, labels = toy2d.sample_rings(1000, seed=0)
    test_points, test_labels = toy2d.sample_rings(4000, seed=1)
    net = toy2d.ResidualNet(5, seed=0)
    toy2d.train_nets([net], points, labels, steps=600)
    assert toy2d.accuracy(net, test_points, test_labels) >= 0.99


# -------------------------------------------------------------------------------------------- regions
def test_half_plane_is_unbounded_with_exact_areas():
    net = half_plane_net()
    region = boundedness.analyse_region(net)
    assert region.verdict == "unbounded" and region.proved
    for r, area in zip(boundedness.SQUARES, region.areas):
        assert area == pytest.approx((r - 0.5) * 2 * r, rel=1e-9)


def test_dead_net_is_empty():
    region = boundedness.analyse_region(dead_net())
    assert region.verdict == "empty" and not region.proved and max(region.areas) == 0


def test_output_spread_is_zero_exactly_for_a_constant_net():
    points, _ = toy2d.sample_rings(200, seed=3)
    assert toy2d.output_spread(dead_net(), points) == 0.0
    # f = ReLU(z_1) - 0.5: largest 2.5 - 0.5 at z_1 = 2.5, smallest -0.5 where z_1 <= 0
    line = torch.tensor([[-3.0, 0.0], [-1.0, 2.0], [2.5, -1.0]])
    assert toy2d.output_spread(half_plane_net(), line) == pytest.approx(2.5)


def test_diamond_residual_net_is_bounded_and_classifies():
    net = diamond_net(1.7)
    region = boundedness.analyse_region(net)
    assert region.verdict == "bounded" and region.proved
    assert region.radius == pytest.approx(1.7, rel=1e-6)
    assert all(a == pytest.approx(2 * 1.7 ** 2, rel=1e-6) for a in region.areas)   # the diamond |z1|+|z2| < 1.7
    test_points, test_labels = toy2d.sample_rings(4000, seed=1)
    assert toy2d.accuracy(net, test_points, test_labels) == 1.0


def test_bounded_but_empty_width3_net():
    angles = [2 * math.pi * k / 3 for k in range(3)]
    net = set_parameters(toy2d.PlainNet(3, 1), {
        "layers.0.linear.weight": [[math.cos(t), math.sin(t)] for t in angles], "layers.0.linear.bias": [0, 0, 0],
        "output.weight": [[-1, -1, -1]], "output.bias": [-0.1]})
    region = boundedness.analyse_region(net)
    assert region.verdict == "empty" and region.proved


def test_reference_solution_of_exercise_4_is_proved_bounded():
    """f = 1.5 - sum_i ReLU(n_i . z): B = 1.5, M = -sqrt(3)/2 (at z = (0, 1)), so bounded inside 1.5 / (sqrt(3)/2)."""
    from resnet_lab import lessons

    namespace = {"torch": torch, "toy2d": lessons.toy2d}
    exec(lessons.toy2d.solution.get(4).code, namespace)   # the solution the learner is shown, run as in the notebook
    region = boundedness.analyse_region(namespace["mine"])
    assert region.verdict == "bounded" and region.proved
    assert region.far_max == pytest.approx(-math.sqrt(3) / 2, rel=1e-6)   # float32 weights
    assert region.radius == pytest.approx(1.5 / (math.sqrt(3) / 2), rel=1e-6)


def test_region_table_splits_proved_verdicts():
    runs = [toy2d.Run(net, 0, 1.0, 1.0, 0.0) for net in (diamond_net(), half_plane_net(), dead_net())]
    table = boundedness.region_table(runs, [boundedness.analyse_region(r.net) for r in runs]).splitlines()
    assert table[0].split()[-4:] == ["proved:", "bounded", "unbounded", "empty"]
    # empty, bounded, unbounded, undecided, then proved: bounded, unbounded, empty
    assert table[1].split()[-7:] == ["0", "1", "0", "0", "1", "0", "0"]       # diamond: bounded, proved
    assert table[2].split()[-7:] == ["0", "0", "1", "0", "0", "1", "0"]       # half-plane: unbounded, proved
    assert table[3].split()[-7:] == ["1", "0", "0", "0", "0", "0", "0"]       # dead: empty, not proved


def test_thin_strip_is_found_exactly():
    """A strip 0.001 wide: rays at radius 1000 miss it, the exact pieces do not."""
    net = set_parameters(toy2d.PlainNet(2, 1), {
        "layers.0.linear.weight": [[0, 1], [0, -1]], "layers.0.linear.bias": [-0.3, 0.3],
        "output.weight": [[-1, -1]], "output.bias": [0.0005]})
    region = boundedness.analyse_region(net)   # f = 0.0005 - |z_2 - 0.3| > 0 on a strip; f_inf = -|z_2|: M = 0
    assert region.verdict == "unbounded" and not region.proved
    assert region.areas[0] == pytest.approx(0.001 * 6, rel=1e-6)
    assert boundedness.positive_fraction_on_circles(net, radii=(1000,), rays=3600)[0] == 0.0


def test_far_field_and_bias_bound():
    net = toy2d.PlainNet(2, 3, seed=1)
    far = boundedness.far_field_net(net)
    z = torch.randn(50, 2, dtype=torch.float64) * 10
    with torch.no_grad():
        gap = (net.double()(z) - far(z)).abs().max()
        assert float(gap) <= boundedness.bias_bound(net) + 1e-9
        assert torch.allclose(far(1000 * z), 1000 * far(z))


def test_region_checks_reject_other_models():
    with pytest.raises(TypeError, match="toy net"):
        boundedness.analyse_region(torch.nn.Linear(2, 1))


def test_explorer_trains_and_scrubs(monkeypatch):
    import matplotlib
    import matplotlib.pyplot as plt

    from resnet_lab.lessons.toy2d import explorer

    matplotlib.use("Agg")
    monkeypatch.setattr(plt, "show", lambda *a, **k: plt.close("all"))
    drawn, draw = [], explorer._draw
    monkeypatch.setattr(explorer, "_draw", lambda snapshots, losses, step, *rest:
                        drawn.append(step) or draw(snapshots, losses, step, *rest))
    points, labels = toy2d.sample_rings(100, seed=0)
    box, controls = explorer.build_explorer(points, labels, points, labels, steps=100, frames=4)
    controls["depth"].value, controls["residual"].value = 2, False
    controls["train"].click()
    assert list(controls["step"].options) == [0, 25, 50, 75, 100] and controls["step"].value == 100
    assert drawn == [100]         # training ends showing its last snapshot
    controls["step"].value = 25   # the slider redraws the snapshot it names
    assert drawn == [100, 25]
    assert controls["train"].description == "Train"


# ------------------------------------------------------------------------------------------- exercises
def test_exercise_checkers_accept_solutions_and_explain_mistakes():
    from resnet_lab.lessons.toy2d import exercises as ex

    def not_done(*args):
        raise NotImplementedError

    assert not ex.check_sample_annulus(not_done) and "NotImplementedError" in repr(ex.check_sample_annulus(not_done))
    assert ex.check_sample_annulus(toy2d.sample_annulus).passed

    def uniform_radius(n, r_min, r_max, generator):
        r = r_min + (r_max - r_min) * torch.rand(n, generator=generator)
        t = 2 * math.pi * torch.rand(n, generator=generator)
        return torch.stack([r * torch.cos(t), r * torch.sin(t)], 1)

    assert "r^2 uniformly" in ex.check_sample_annulus(uniform_radius).message

    def block(z, U, b, V):
        return z + torch.relu(z @ U.T + b) @ V.T

    assert ex.check_one_neuron_block(block).passed
    assert "adds the input z back" in ex.check_one_neuron_block(lambda z, U, b, V: block(z, U, b, V) - z).message

    def count(width, depth, residual):
        return 5 * width * depth + 3 if residual else 3 * width + (depth - 1) * (width * width + width) + width + 1

    assert ex.check_parameter_count(count).passed
    assert not ex.check_parameter_count(lambda w, d, r: 6 * d + 3).passed

    angles = [2 * math.pi * k / 3 for k in range(3)]
    triangle = set_parameters(toy2d.PlainNet(3, 1), {
        "layers.0.linear.weight": [[math.cos(t), math.sin(t)] for t in angles], "layers.0.linear.bias": [0, 0, 0],
        "output.weight": [[-1, -1, -1]], "output.bias": [1.5]})
    assert ex.check_bounded_net(triangle).passed
    assert not ex.check_bounded_net(half_plane_net()).passed
    assert not ex.check_bounded_net(diamond_net()).passed   # residual: not what the exercise asks
