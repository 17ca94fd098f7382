"""resnet_lab.plots: one colour per family, one line style per depth, figures saved by stable name."""
import matplotlib

matplotlib.use("Agg")  # no display needed: this must come before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from resnet_lab.plots import (PLAIN_COLOR, REFERENCE_COLOR, RESIDUAL_COLOR, depth_linestyle,  # noqa: E402
                              family_color, figures_dir, save_figure)
from resnet_lab.plots.style import FIGURES_ENV_VAR  # noqa: E402
from resnet_lab.plots.training import moving_average, plot_error_curves  # noqa: E402
from resnet_lab.training import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_one_colour_per_family_and_three_distinct_colours():
    assert len({PLAIN_COLOR, RESIDUAL_COLOR, REFERENCE_COLOR}) == 3
    for name in ("plain20", "plain110", "Plain56"):
        assert family_color(name) == PLAIN_COLOR, name
    for name in ("resnet20", "resnet1202", "resnet50", "resnet18_cifar"):
        assert family_color(name) == RESIDUAL_COLOR, name
    assert (family_color(True), family_color(False)) == (RESIDUAL_COLOR, PLAIN_COLOR)


def test_depth_line_styles_from_shallow_to_deep():
    assert [depth_linestyle(d) for d in (20, 32, 44, 56)] == ["-", "--", "-.", ":"]
    assert depth_linestyle(110) == ":"                             # deeper than the list: the last style
    assert depth_linestyle(56, depths=(56, 20)) == "--"             # the list's order does not matter
    assert depth_linestyle(26, depths=(20, 32)) == "--"             # between: one step past the shallower
    assert depth_linestyle(8, depths=(20, 56)) == "-"


def test_save_figure_writes_name_png_to_the_figures_folder(tmp_path, monkeypatch):
    folder = tmp_path / "figs" / "nested"
    monkeypatch.setenv(FIGURES_ENV_VAR, str(folder))
    assert figures_dir() == folder
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0])
    path = save_figure(fig, "degradation")
    assert path == folder / "degradation.png" and sorted(p.name for p in folder.iterdir()) == ["degradation.png"]
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"Software" not in data and b"matplotlib version" not in data  # no run-to-run stamp
    assert save_figure(fig, "degradation").read_bytes() == data           # saving again: the same bytes


def test_save_figure_writes_nothing_unless_asked(tmp_path, monkeypatch):
    monkeypatch.delenv(FIGURES_ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    fig, _ = plt.subplots()
    assert figures_dir() is None and save_figure(fig, "degradation") is None
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", ["", "figures/degradation", "degradation.png", None])
def test_save_figure_rejects_names_that_are_not_bare_stable_names(bad, tmp_path, monkeypatch):
    monkeypatch.setenv(FIGURES_ENV_VAR, str(tmp_path))
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match=r"save_figure wants a bare stable name such as 'degradation', got "
                                         + repr(bad).replace(".", r"\.")):
        save_figure(fig, bad)
    assert list(tmp_path.iterdir()) == []


def test_moving_average_averages_what_there_is_so_far():
    np.testing.assert_allclose(moving_average([1, 2, 3, 4, 5], 2), [1, 1.5, 2.5, 3.5, 4.5])
    np.testing.assert_allclose(moving_average([3, 1, 2], 5), [3, 2, 2])
    np.testing.assert_allclose(moving_average([3, 1, 2], 1), [3, 1, 2])
    assert len(moving_average([], 4)) == 0


def history(name, final_error):
    iterations = 40
    return History(model=name, eval_name="test", iter_error=list(np.linspace(90, final_error, iterations)),
                   epoch=[1, 2], epoch_iteration=[20, 40], eval_error=[60.0, final_error + 2])


def test_error_curves_draw_train_and_test_lines_in_the_family_colours(tmp_path, monkeypatch):
    monkeypatch.setenv(FIGURES_ENV_VAR, str(tmp_path))
    names = ["plain20", "plain56", "resnet20", "resnet56"]
    fig = plot_error_curves({n: history(n, 10.0 + i) for i, n in enumerate(names)}, name="curves")
    assert (tmp_path / "curves.png").is_file()
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert sorted(lines) == sorted(f"{n} {what}" for n in names for what in ("train", "test"))
    for i, n in enumerate(names):
        train, test = lines[f"{n} train"], lines[f"{n} test"]
        assert to_hex(train.get_color()) == to_hex(test.get_color()) == family_color(n)
        assert train.get_linestyle() == test.get_linestyle() == ("-" if n.endswith("20") else "--")
        assert test.get_linewidth() > train.get_linewidth()          # bold: test error, thin: training error
        assert list(test.get_xdata()) == [20, 40] and list(test.get_ydata()) == [60.0, 12.0 + i]
        assert list(train.get_xdata()) == list(range(1, 41))         # one point per iteration
    assert ax.get_xlabel() == "iterations" and ax.get_ylabel() == "error (%)"
