"""Paths that used to end silently wrong: resuming another model, runaway losses, figures written by tests."""
import math

import pytest
import torch

from resnet_lab.config import Recipe
from resnet_lab.models import get_model
from resnet_lab.plots import save_figure
from resnet_lab.training import CHECKPOINT, History, TrainingDiverged, train


def recipe(**changes):
    values = dict(epochs=1, batch_size=16, precision="fp32", eval_batch_size=16)
    values.update(changes)
    return Recipe(**values)


def net(name="resnet8", seed=0, **options):
    torch.manual_seed(seed)
    return get_model(name, width=4, **options)


@pytest.mark.parametrize("name, options, saved_line, asked_line", [
    ("plain8", {}, "depth=8, residual, shortcut='A', width=4", "depth=8, plain, shortcut='A', width=4"),
    ("resnet8", {"shortcut": "B"}, "shortcut='A'", "shortcut='B'"),
    ("resnet14", {}, "depth=8", "depth=14"),
])
def test_resume_refuses_another_model_and_names_both(tiny_images, tmp_path, name, options, saved_line, asked_line):
    train_set, test_set = tiny_images
    train(net(), train_set, test_set, recipe(), out=tmp_path, progress=False, model_name="resnet8")
    with pytest.raises(ValueError) as err:
        train(net(name, **options), train_set, test_set, recipe(), out=tmp_path, resume=True, progress=False,
              model_name=name)
    message = str(err.value)
    saved, asked = message.split(" not the ")
    assert "holds resnet8 (CifarResNet(depth=" in saved and saved_line in saved
    assert asked.startswith(f"{name} (CifarResNet(depth=") and asked_line in asked
    assert "Resume with the same model and options, or choose another output folder" in message


def test_resume_refuses_a_bare_state_dict(tiny_images, tmp_path):
    train_set, test_set = tiny_images
    torch.save(net().state_dict(), tmp_path / CHECKPOINT)
    with pytest.raises(ValueError, match="is not a resnet_lab checkpoint .*bare state_dict"):
        train(net(), train_set, test_set, recipe(), out=tmp_path, resume=True, progress=False)


@pytest.mark.parametrize("lr, what", [(1e6, "over 100 times its first value"), (1e30, "NaN or infinite|became")])
def test_a_runaway_loss_stops_training_and_names_the_iteration(tiny_images, lr, what):
    train_set, test_set = tiny_images
    with pytest.raises(TrainingDiverged, match=rf"Training diverged: .*({what}).* at iteration \d+ \(learning rate "):
        train(net(), train_set, test_set, recipe(lr=lr, epochs=2), progress=False)


@pytest.mark.parametrize("bad", [dict(lr=float("inf")), dict(warmup_epochs=-3), dict(momentum=float("nan")),
                                 dict(width=0), dict(seed=-1), dict(seed=2**63), dict(seed=None)])
def test_every_numeric_field_of_a_recipe_is_checked(bad):
    with pytest.raises(ValueError, match=f"{next(iter(bad))} must be"):
        recipe(**bad)


def test_a_misspelt_recipe_field_is_an_error():
    with pytest.raises(TypeError, match="Recipe has no field 'epoch'"):
        recipe().replace(epoch=3)


def test_figures_are_written_only_when_asked(tmp_path, monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    monkeypatch.delenv("RESNET_LAB_FIGURES", raising=False)
    assert save_figure(fig, "probe") is None
    monkeypatch.setenv("RESNET_LAB_FIGURES", str(tmp_path))
    assert save_figure(fig, "probe") == tmp_path / "probe.png" and (tmp_path / "probe.png").stat().st_size > 0
    plt.close(fig)


def test_on_divergence_stop_keeps_the_run_and_the_iteration(tiny_images, tmp_path):
    train_set, test_set = tiny_images
    with pytest.raises(TrainingDiverged) as raised:
        train(net(), train_set, test_set, recipe(lr=1e30, epochs=2), progress=False)
    torch.manual_seed(0)
    history = train(net(), train_set, test_set, recipe(lr=1e30, epochs=2), out=tmp_path, progress=False,
                    on_divergence="stop")
    assert history.diverged_at == raised.value.iteration == len(history.iter_loss)
    assert history.completed and "at iteration" in history.notes["diverged"]
    assert not all(map(math.isfinite, history.iter_loss)) or history.iter_loss[-1] > 100 * history.iter_loss[0]
    assert History.load(tmp_path / "history.json").diverged_at == history.diverged_at   # saved, so load-else-train
    with pytest.raises(ValueError, match="on_divergence must be 'raise' or 'stop', got 'ignore'"):
        train(net(), train_set, test_set, recipe(), progress=False, on_divergence="ignore")


def test_a_run_that_does_not_diverge_has_no_divergence_iteration(tiny_images):
    train_set, test_set = tiny_images
    history = train(net(), train_set, test_set, recipe(), progress=False, on_divergence="stop")
    assert history.diverged_at is None and history.completed
