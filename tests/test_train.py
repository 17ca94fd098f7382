"""The training loop: schedules, History, checkpoints, resume, interruption, divergence, the CLI."""
import json
import math
import re
import subprocess
import sys

import pytest
import torch

from resnet_lab.runs import GROUPS, train_or_load
from resnet_lab.tools import cli
from resnet_lab.training.history import History
from resnet_lab.models import get_model
from resnet_lab.config import get_scale
from resnet_lab.config import Recipe
from resnet_lab.training import (CHECKPOINT, HISTORY, TrainingDiverged, learning_rate, load_checkpoint, train)

SERIES = ("iter_loss", "iter_error", "epoch", "epoch_iteration", "train_loss", "train_error", "eval_loss",
          "eval_error", "lr")


def small_model(seed=0):
    torch.manual_seed(seed)
    return get_model("resnet8", width=4)


def config(**changes):
    values = dict(epochs=3, batch_size=16, milestones=(0.5,), precision="fp32")
    values.update(changes)
    return Recipe(**values)


class InterruptAt:
    """Raise KeyboardInterrupt (what Ctrl-C or a kernel interrupt does) at a given iteration."""

    def __init__(self, iteration):
        self.iteration = iteration

    def __call__(self, iteration, model):
        if iteration == self.iteration:
            raise KeyboardInterrupt


def test_step_schedule_with_fractions_and_iterations():
    cfg = Recipe(iterations=100, milestones=(0.5, 75))
    lrs = [learning_rate(cfg, i, 10) for i in (0, 49, 50, 74, 75, 99)]
    assert lrs == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])


def test_paper_schedule_drops_at_32k_and_48k():
    cfg = get_scale("paper")
    assert cfg.iterations == 64_000 and cfg.batch_size == 128 and cfg.weight_decay == 1e-4
    per_epoch = 45_000 // 128
    assert learning_rate(cfg, 0, per_epoch) == pytest.approx(0.1)  # no warm-up
    assert learning_rate(cfg, 31_999, per_epoch) == pytest.approx(0.1)
    assert learning_rate(cfg, 32_000, per_epoch) == pytest.approx(0.01)
    assert learning_rate(cfg, 48_000, per_epoch) == pytest.approx(0.001)


def test_warmup_then_cosine():
    cfg = Recipe(iterations=110, warmup_epochs=0.5, schedule="cosine", lr=0.2)  # 10 iterations of 20 per epoch
    assert learning_rate(cfg, 0, 20) == pytest.approx(0.02)
    assert learning_rate(cfg, 9, 20) == pytest.approx(0.2)
    assert learning_rate(cfg, 10, 20) == pytest.approx(0.2)
    assert learning_rate(cfg, 60, 20) == pytest.approx(0.1)
    assert learning_rate(cfg, 109, 20) == pytest.approx(0.1 * (1 + math.cos(math.pi * 99 / 100)))


@pytest.mark.parametrize("scale, images, warmup", [("classroom", 4_500, 70), ("reference", 20_000, 156)])
def test_warmup_is_one_epoch_of_the_scales_data(scale, images, warmup):
    recipe = get_scale(scale)
    assert recipe.train_images() == images
    assert recipe.warmup_iterations(images // recipe.batch_size) == warmup
    assert recipe.replace(train_per_class=100).warmup_iterations(1_000 // recipe.batch_size) == 1_000 // recipe.batch_size


@pytest.mark.parametrize("kwargs, message", [
    (dict(), "exactly one of epochs or iterations"),
    (dict(epochs=2, iterations=5), "exactly one of epochs or iterations"),
    (dict(epochs=0), "epochs must be a positive whole number"),
    (dict(epochs=1, schedule="linear"), "schedule must be one of step, cosine, constant"),
    (dict(epochs=1, precision="fp16"), "precision must be one of auto, fp32, bf16"),
])
def test_bad_config_says_what_to_do(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Recipe(**kwargs)


def test_history_fields_and_json_round_trip(tiny_images, tmp_path):
    train_set, test_set = tiny_images
    history = train(small_model(), train_set, test_set, config(), out=tmp_path, progress=False)
    assert history.epoch == [1, 2, 3] and history.epoch_iteration == [4, 8, 12]
    assert len(history.iter_loss) == 12 and len(history.iter_error) == 12
    assert history.lr == pytest.approx([0.1, 0.01, 0.01])
    assert all(0 <= e <= 100 for e in history.iter_error + history.eval_error)
    assert history.train_error[0] == pytest.approx(sum(history.iter_error[:4]) / 4)
    assert history.completed and not history.interrupted
    loaded = History.load(tmp_path / HISTORY)
    assert loaded == history
    assert json.loads((tmp_path / HISTORY).read_text())["config"]["milestones"] == [0.5]


def test_iterations_can_stop_mid_epoch(tiny_images):
    train_set, test_set = tiny_images
    history = train(small_model(), train_set, test_set, config(epochs=None, iterations=10), progress=False)
    assert history.epoch_iteration == [4, 8, 10] and len(history.iter_loss) == 10


def test_interrupt_keeps_checkpoint_and_resume_equals_uninterrupted(tiny_images, tmp_path):
    train_set, test_set = tiny_images
    full = train(small_model(), train_set, test_set, config(), out=tmp_path / "full", progress=False)

    out = tmp_path / "stopped"
    partial = train(small_model(), train_set, test_set, config(), out=out, progress=False,
                    after_backward=InterruptAt(6))  # in the middle of epoch 2
    assert partial.interrupted and len(partial.iter_loss) == 6 and partial.epoch == [1]
    checkpoint = load_checkpoint(out / CHECKPOINT)  # weights_only=True
    assert checkpoint["iteration"] == 4
    assert sorted(p.name for p in out.iterdir()) == [CHECKPOINT, HISTORY]  # no temporary files left

    resumed = train(small_model(seed=1), train_set, test_set, config(), out=out, resume=True, progress=False)
    for key in SERIES:
        assert getattr(resumed, key) == getattr(full, key), key  # equal to the last digit
    assert resumed.completed and not resumed.interrupted


def test_existing_run_is_not_overwritten_and_recipe_must_match(tiny_images, tmp_path):
    train_set, test_set = tiny_images
    train(small_model(), train_set, test_set, config(epochs=1), out=tmp_path, progress=False)
    with pytest.raises(FileExistsError, match="resume=True"):
        train(small_model(), train_set, test_set, config(epochs=1), out=tmp_path, progress=False)
    with pytest.raises(ValueError, match=r"another recipe .*'lr': \(0.1, 0.05\)"):
        train(small_model(), train_set, test_set, config(epochs=1, lr=0.05), out=tmp_path, resume=True,
              progress=False)


def test_non_finite_loss_names_iteration_and_learning_rate(tiny_images):
    train_set, test_set = tiny_images
    model = small_model()
    with torch.no_grad():
        model.fc.bias.fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match=r"became nan at iteration 1 \(learning rate 0.1\)"):
        train(model, train_set, test_set, config(), progress=False)


def test_bad_inputs_to_train(tiny_images):
    train_set, test_set = tiny_images
    with pytest.raises(TypeError, match="recipe must be a resnet_lab.Recipe"):
        train(small_model(), train_set, test_set, {"epochs": 1})
    with pytest.raises(TypeError, match="train_set must be a resnet_lab.data.Images"):
        train(small_model(), train_set.images, test_set, config())
    with pytest.raises(ValueError, match="fewer than one batch of 128"):
        train(small_model(), train_set, test_set, config(batch_size=128))


def test_train_or_load_trains_once_then_loads(tiny_cifar_tree, tmp_path):
    from resnet_lab.data import load_cifar10

    data = load_cifar10(tiny_cifar_tree)
    calls = []
    first = train_or_load("resnet8", data, "smoke", runs=tmp_path, progress=False,
                          after_backward=lambda i, m: calls.append(i))
    assert first.completed and len(calls) == len(first.iter_loss) == 4  # 200 images / batch 50
    second = train_or_load("resnet8", data, "smoke", runs=tmp_path, progress=False,
                           after_backward=lambda i, m: calls.append(i))
    assert second == first and len(calls) == 4


def test_cli_trains_on_the_smoke_scale_and_resumes(tiny_cifar_tree, tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "resnet_lab", "train", "--model", "resnet20", "--scale", "smoke",
               "--data", str(tiny_cifar_tree), "--out", str(out), "--no-progress", "--threads", "1"]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "resnet20: 17,326 parameters; 200 training images, 100 test images; scale smoke" in done.stdout
    history = History.load(out / HISTORY)
    assert history.completed and history.epoch == [1] and history.model == "resnet20"
    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 2 and "already holds a run" in again.stderr
    resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0 and History.load(out / HISTORY) == history


def cli_help(capsys, *argv) -> str:
    """What ``python -m resnet_lab ARGV --help`` prints (in this process); --help must exit with status 0."""
    with pytest.raises(SystemExit) as done:
        cli.main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_cli_help_lists_our_commands_and_every_train_option(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # argparse wraps at the terminal width: one line per entry
    top = cli_help(capsys)
    assert top.startswith("usage: python -m resnet_lab [-h] {train,runs,measure,prepare,bench,notebooks,instructor} ...")
    for command, summary in [("train", "train a model on CIFAR-10 or an image-folder data set"),
                             ("runs", "train a group of committed runs again"),
                             ("measure", "measure what a notebook plots from committed weights"),
                             ("prepare", "train every run the notebooks train, before class, on every core"),
                             ("bench", "training throughput: resnet_lab's pipeline vs the canonical recipe"),
                             ("notebooks", "execute the notebooks and normalise their outputs"),
                             ("instructor", "write the instructor's copy: every exercise solved, executed")]:
        assert re.search(rf"^ +{command} +{re.escape(summary)}", top, re.M), command

    train_help = cli_help(capsys, "train")
    assert train_help.startswith("usage: python -m resnet_lab train ")
    for option in ("--model MODEL", "--scale {classroom,paper,reference,smoke}", "--data DATA",
                   "--data-format {cifar10,imagefolder}", "--workers WORKERS", "--image-size IMAGE_SIZE",
                   "--download", "--out OUT", "--resume", "--seed SEED", "--device DEVICE", "--threads THREADS",
                   "--epochs EPOCHS", "--iterations ITERATIONS", "--lr LR", "--batch-size BATCH_SIZE",
                   "--width WIDTH", "--shortcut {A,B}", "--warmup-epochs WARMUP_EPOCHS",
                   "--precision {auto,fp32,bf16}", "--no-progress"):
        assert re.search(rf"^  {re.escape(option)}\s+[a-zA-Z]", train_help, re.M), option  # with its help
    assert "torchrun --nproc_per_node=4 -m resnet_lab train --model resnet56 --scale paper" in train_help

    # the other commands hand their arguments to their own parsers
    runs_help = cli_help(capsys, "runs")
    assert runs_help.startswith("usage: python -m resnet_lab runs ")
    assert all(re.search(rf"^  {name} ", runs_help, re.M) for name in GROUPS)
    assert "--normalize" in cli_help(capsys, "notebooks")
    assert "--per-class PER_CLASS" in cli_help(capsys, "bench")
    assert "--scale {classroom,paper,reference,smoke}" in cli_help(capsys, "prepare")
    assert "--no-execute" in cli_help(capsys, "instructor")


def test_the_paper_warms_up_only_its_deepest_nets():
    from resnet_lab.config import recipe_for_model
    paper = get_scale("paper")
    assert paper.warmup_epochs == 0 and paper.warmup_lr is None        # lr 0.1 from the first step
    for depth in (110, 1202):
        deep = recipe_for_model(paper, depth)
        assert (deep.warmup_lr, deep.warmup_until_error, deep.name) == (0.01, 80.0, "paper")
    assert recipe_for_model(paper, 56) is paper and recipe_for_model(paper, None) is paper
    assert recipe_for_model(get_scale("classroom"), 110) is get_scale("classroom")
    with pytest.raises(ValueError, match="give warmup_lr with one of warmup_until_error .* or warmup_lr_iterations"):
        config(warmup_lr=0.01)
    with pytest.raises(ValueError, match="or none of them; got warmup_lr=0.01, warmup_until_error=80"):
        config(warmup_lr=0.01, warmup_until_error=80, warmup_lr_iterations=400)
    with pytest.raises(ValueError, match="warmup_lr_iterations must be a positive whole number, got 0"):
        config(warmup_lr=0.01, warmup_lr_iterations=0)
    with pytest.raises(ValueError, match="below 100"):
        config(warmup_lr=0.01, warmup_until_error=100)


def test_error_warmup_holds_the_low_rate_until_the_training_error_falls(tiny_images, tmp_path):
    train_set, test_set = tiny_images   # 64 images: 4 iterations an epoch at batch 16
    recipe = config(epochs=8, milestones=(), warmup_lr=0.01, warmup_until_error=99.0)
    history = train(small_model(), train_set, test_set, recipe, progress=False)
    window = 20
    ends = next(i for i in range(window, len(history.iter_error) + 1)
                if sum(history.iter_error[i - window:i]) / window < 99.0)
    assert ends == 20   # random labels: about 90% error, below 99% as soon as there are 20 batches to average
    # the rate at the last iteration of each epoch (iterations 3, 7, ...): 0.01 until the 20th, then the schedule's
    assert history.lr == [0.01] * 5 + [0.1] * 3
    never = train(small_model(), train_set, test_set, config(epochs=2, warmup_lr=0.01, warmup_until_error=1.0),
                  progress=False)
    assert never.lr == [0.01, 0.01]
    # an interrupted run resumes in the same phase and ends as the uninterrupted one
    out = tmp_path / "stopped"
    train(small_model(), train_set, test_set, recipe, out=out, progress=False, after_backward=InterruptAt(22))
    resumed = train(small_model(seed=1), train_set, test_set, recipe, out=out, resume=True, progress=False)
    assert resumed.lr == history.lr and resumed.iter_loss == history.iter_loss
