"""Every committed run under resnet_lab/results/ must match the recipe of the group that claims to make it.

Changing a scale without running ``python -m resnet_lab runs <group>`` again fails here, so no notebook plots runs
of another recipe. Every group of :data:`resnet_lab.runs.GROUPS` is covered, model by model and seed by seed.
"""
import json

import pytest
import torch

from resnet_lab.config import get_scale
from resnet_lab.data import load_cifar10
from resnet_lab.gradients import GradientRecorder
from resnet_lab.models import count_parameters
from resnet_lab.runs import (GROUPS, WEIGHTS_SUFFIX, committed_path, load_committed, load_committed_model,
                             load_committed_records, results_dir, split_for_scale)
from resnet_lab.training import History, evaluate

COMMITTED = [(g, m, s) for g in GROUPS.values() for m in g.models for s in g.seeds]


@pytest.mark.parametrize("group, model, seed", COMMITTED, ids=[f"{g.name}-{m}-seed{s}" for g, m, s in COMMITTED])
def test_committed_history_matches_its_recipe(group, model, seed):
    path = committed_path(group.name, model, seed)
    assert path.is_file(), f"{path} is missing: make it with `{group.command}`"
    saved = json.loads(path.read_text())
    recipe = get_scale(group.scale).replace(seed=seed)
    # every field of the recipe, where a field added to Recipe after the run was made counts as its default (None)
    assert set(saved["config"]) <= set(recipe.to_dict())
    assert {k: saved["config"].get(k) for k in recipe.to_dict()} == recipe.to_dict()
    assert all(recipe.to_dict()[k] is None for k in set(recipe.to_dict()) - set(saved["config"]))
    assert saved["model"] == model
    assert saved["completed"] and not saved["interrupted"]
    if group.variants:   # a model with options: the History says which
        assert (saved["notes"]["model"], saved["notes"]["model_options"]) == group.spec(model)
    per_epoch = recipe.train_images() // recipe.batch_size
    if saved.get("diverged_at"):   # a run of an on_divergence="stop" group that diverged: it ends there
        assert group.on_divergence == "stop"
        assert len(saved["iter_loss"]) == saved["diverged_at"] <= recipe.total_iterations(per_epoch)
        assert len(saved["epoch"]) == (saved["diverged_at"] - 1) // per_epoch
        return
    assert saved["epoch"] == list(range(1, recipe.epochs + 1))
    assert saved["epoch_iteration"][-1] == recipe.total_iterations(per_epoch) == len(saved["iter_loss"])
    assert len(saved["eval_error"]) == recipe.epochs
    assert saved["notes"]["command"] == group.command == f"python -m resnet_lab runs {group.name}"
    if group.record_every:
        records = GradientRecorder.load(committed_path(group.name, model, seed, ".gradients.json"))
        assert records.iterations == list(range(0, recipe.total_iterations(per_epoch), group.record_every))


@pytest.mark.parametrize("group", GROUPS.values(), ids=list(GROUPS))
def test_each_group_loads_whole(group):
    for seed in group.seeds:
        histories = load_committed(group.name, seed)
        assert list(histories) == list(group.models)
        assert all(isinstance(h, History) and h.model == m for m, h in histories.items())
        if group.record_every:
            assert list(load_committed_records(group.name, seed)) == list(group.models)


def test_a_missing_file_makes_the_group_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_LAB_RESULTS", str(tmp_path))
    group = GROUPS["cifar_stem"]
    assert load_committed(group.name) == {}
    History(model=group.models[0]).save(committed_path(group.name, group.models[0]))
    assert load_committed(group.name) == {}   # one of two: still nothing, never half a group
    with pytest.raises(ValueError, match="Unknown group of committed runs 'nope'; choose one of degradation"):
        load_committed("nope")


WEIGHTS = [(g, m, s) for g in GROUPS.values() if g.weights for m in g.models for s in g.seeds]
#: the parameters of the nets whose weights are committed (He et al. 2015, Table 6: 0.85M for resnet-56)
PARAMETERS = {"resnet56": 853_018, "plain56": 853_018}
WEIGHTS_LIMIT_BYTES = 12_000_000


@pytest.fixture(scope="module")
def cifar10():
    return load_cifar10()   # the real CIFAR-10 ($RESNET_LAB_DATA in CI), as the committed runs saw it


@pytest.mark.parametrize("group, model, seed", WEIGHTS, ids=[f"{g.name}-{m}-seed{s}" for g, m, s in WEIGHTS])
def test_committed_weights_reproduce_their_history(group, model, seed, cifar10):
    path = committed_path(group.name, model, seed, WEIGHTS_SUFFIX)
    assert path.is_file(), f"{path} is missing: make it with `{group.command}`"
    state = torch.load(path, weights_only=True)
    assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
    net = load_committed_model(group.name, model, seed)
    assert count_parameters(net) == PARAMETERS[model] and not net.training
    assert all(p.dtype == torch.float32 for p in net.parameters())
    history = load_committed(group.name, seed)[model]
    _, eval_set, _ = split_for_scale(cifar10, get_scale(group.scale), seed)
    # evaluated in the precision the History was (bf16 autocast where the training machine had it; emulated, and
    # slower, on a CPU without it), so that only the weights' rounding to half precision differs
    dtype = torch.bfloat16 if "bf16 autocast" in history.notes["trained_on"] else None
    _, error = evaluate(net, eval_set, dtype=dtype)
    assert abs(error - history.eval_error[-1]) <= 0.1, (error, history.eval_error[-1])


def test_committed_weights_are_small():
    files = sorted(results_dir().glob(f"*/*{WEIGHTS_SUFFIX}"))
    assert len(files) == len(WEIGHTS)
    assert sum(f.stat().st_size for f in files) <= WEIGHTS_LIMIT_BYTES


def test_missing_weights_load_as_none(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_LAB_RESULTS", str(tmp_path))
    assert load_committed_model("weights", "resnet56", 0) is None
    with pytest.raises(ValueError, match="the degradation group commits no weights; groups with weights: weights"):
        load_committed_model("degradation", "resnet56")
    with pytest.raises(ValueError, match="'resnet20' not in the weights group; its models are resnet56, plain56"):
        load_committed_model("weights", "resnet20")
    path = committed_path("weights", "resnet56", 0, WEIGHTS_SUFFIX)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=r"cannot be read as saved weights \(\w+\): delete it and run `python -m resnet_lab runs weights`"):
        load_committed_model("weights", "resnet56", 0)
