"""Every committed run under resnet_lab/results/ must match the recipe of the group that claims to make it.

Changing a scale without running ``python -m resnet_lab runs <group>`` again fails here, so no notebook plots runs
of another recipe. Every group of :data:`resnet_lab.runs.GROUPS` is covered, model by model and seed by seed.
"""
import json

import pytest

from resnet_lab.config import get_scale
from resnet_lab.gradients import GradientRecorder
from resnet_lab.runs import GROUPS, committed_path, load_committed, load_committed_records
from resnet_lab.training import History

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
