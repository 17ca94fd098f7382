"""Load-else-train: what the run cache is keyed on, and parallel training equal to sequential training."""
from types import SimpleNamespace

import pytest
import torch

from resnet_lab.config import get_scale
from resnet_lab.data import Images
from resnet_lab.runs import run_folder, train_or_load, train_or_load_many
from resnet_lab.runtime import set_threads


def random_data(seed=0, n_train=160, n_test=40):
    g = torch.Generator().manual_seed(seed)
    train = Images(torch.randint(0, 256, (n_train, 3, 32, 32), generator=g, dtype=torch.uint8),
                   torch.arange(n_train) % 10)
    test = Images(torch.randint(0, 256, (n_test, 3, 32, 32), generator=g, dtype=torch.uint8), torch.arange(n_test) % 10)
    return SimpleNamespace(train=train, test=test, source="random images")


SCALE = get_scale("smoke").replace(name="tiny", train_per_class=16, test_per_class=4, epochs=2, batch_size=32,
                                   precision="fp32")


def test_the_cache_key_follows_what_shapes_the_result():
    data = random_data()
    folder = run_folder("resnet8", data, SCALE, seed=0, runs="r")
    assert folder.name.startswith("resnet8-tiny-seed0-")
    assert run_folder("resnet8", data, SCALE.replace(name="renamed"), seed=0, runs="r").name.split("-")[-1] \
        == folder.name.split("-")[-1]                                         # a label is not the recipe
    other_pixels = random_data(seed=1)
    other_pixels.source = data.source                                         # same description, other images
    for changed in (run_folder("resnet8", other_pixels, SCALE, 0, "r"), run_folder("resnet8", data, SCALE, 1, "r"),
                    run_folder("resnet8", data, SCALE.replace(lr=0.05), 0, "r"),
                    run_folder("resnet8", data, SCALE, 0, "r", shortcut="B"), run_folder("plain8", data, SCALE, 0, "r")):
        assert changed.name.split("-")[-1] != folder.name.split("-")[-1]


def test_a_run_on_other_images_is_not_loaded(tmp_path, capsys):
    data = random_data()
    first = train_or_load("resnet8", data, SCALE, runs=tmp_path, progress=False, device="cpu")
    other = random_data(seed=1)
    other.source = data.source
    second = train_or_load("resnet8", other, SCALE, runs=tmp_path, progress=False, device="cpu")
    assert "Loaded" not in capsys.readouterr().out and second.iter_loss != first.iter_loss
    again = train_or_load("resnet8", data, SCALE, runs=tmp_path, progress=False, device="cpu")
    assert "Loaded resnet8" in capsys.readouterr().out and again.iter_loss == first.iter_loss


def test_parallel_processes_train_exactly_the_sequential_runs(tmp_path):
    data = random_data()
    parallel = train_or_load_many(["plain8", "resnet8"], data, SCALE, seeds=[0, 1], processes=2,
                                  runs=tmp_path / "parallel", device="cpu")
    threads = torch.get_num_threads()
    try:
        set_threads(1)   # what each of the 2 processes used on this 2-core machine
        sequential = {(m, s): train_or_load(m, data, SCALE, s, runs=tmp_path / "sequential", progress=False,
                                            device="cpu") for s in (0, 1) for m in ("plain8", "resnet8")}
    finally:
        set_threads(threads)
    if (torch.multiprocessing.cpu_count() or 1) // 2 != 1:
        pytest.skip("each process had more than one thread here; the sequential run used one")
    assert list(parallel) == [("plain8", 0), ("resnet8", 0), ("plain8", 1), ("resnet8", 1)]
    for key, history in parallel.items():
        assert history.completed and history.iter_loss == sequential[key].iter_loss
        assert history.eval_error == sequential[key].eval_error


def test_one_seed_gives_histories_by_model(tmp_path):
    histories = train_or_load_many(["resnet8"], random_data(), SCALE, seeds=3, processes=1, runs=tmp_path,
                                   device="cpu")
    assert list(histories) == ["resnet8"] and histories["resnet8"].config["seed"] == 3


def test_a_group_is_made_by_one_command_and_loaded_whole(tmp_path, monkeypatch):
    from resnet_lab import runs
    from resnet_lab.gradients import GradientRecorder
    from resnet_lab.training import History

    monkeypatch.setenv("RESNET_LAB_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("RESNET_LAB_RUNS", str(tmp_path / "runs"))
    group = runs.RunGroup("tiny", "a test group", ("plain8", "resnet8"), SCALE, seeds=(0, 1), record_every=2)
    monkeypatch.setitem(runs.GROUPS, "tiny", group)
    written = runs.make_group("tiny", data=random_data(), device="cpu", processes=1)
    assert sorted(p.name for p in written) == sorted(f"{m}-tiny-seed{s}{suffix}" for m in group.models
                                                     for s in (0, 1) for suffix in (".json", ".gradients.json"))
    histories = runs.load_committed("tiny", seed=1)
    assert list(histories) == ["plain8", "resnet8"] and all(isinstance(h, History) for h in histories.values())
    notes = histories["plain8"].notes
    assert notes["command"] == "python -m resnet_lab runs tiny" and "torch thread(s)" in notes["trained_on"]
    records = runs.load_committed_records("tiny", seed=0)
    assert isinstance(records["resnet8"], GradientRecorder) and records["resnet8"].iterations == [0, 2, 4, 6, 8]
    with pytest.raises(ValueError, match="'resnet21' not in the tiny group; its models are plain8, resnet8"):
        runs.make_group("tiny", models=["resnet21"], data=random_data())


def test_prepare_trains_exactly_the_runs_the_notebooks_then_load(tmp_path, monkeypatch, capsys):
    from resnet_lab.lessons import degradation, gradient_flow, identity
    from resnet_lab.runs import GROUPS, NO_BATCHNORM_DEPTH, PLACEMENT_DEPTH, RUNS_ENV_VAR, train_and_record
    from resnet_lab.tools.prepare import prepare

    monkeypatch.setenv(RUNS_ENV_VAR, str(tmp_path))
    data = random_data(n_train=200, n_test=100)   # the smoke scale's 20 + 10 images a class
    seconds = prepare("smoke", data, processes=1, device="cpu")
    assert sorted(seconds) == ["notebook 01", "notebook 02", "notebook 05"]
    folders = sorted(p.name.rsplit("-", 1)[0] for p in tmp_path.iterdir())
    assert folders == sorted([f"{m}-smoke-seed0" for m in degradation.NETS + degradation.DEPTH_EXERCISE_NETS]
                             + [f"{m}-smoke-gradient-probe-seed0" for m in gradient_flow.PROBE_MODELS]
                             + [f"preresnet{PLACEMENT_DEPTH}-smoke-seed0"] * 2
                             + [f"preresnet{NO_BATCHNORM_DEPTH}-no_batchnorm-seed0"])
    capsys.readouterr()
    # what notebook 01 (section 4, exercise 2) and notebook 02 (section 6) call: everything loads, nothing trains
    degradation_runs = train_or_load_many(degradation.NETS + degradation.DEPTH_EXERCISE_NETS, data, "smoke",
                                          seeds=0, device="cpu")
    probe = gradient_flow.probe_recipe(get_scale("smoke"))
    records = {m: train_and_record(m, data, probe, every=gradient_flow.PROBE_EVERY, progress=False)[1]
               for m in gradient_flow.PROBE_MODELS}
    placements, nobn = GROUPS["placements"], GROUPS["no_batchnorm"]   # notebook 05, sections 4 and 5
    train_or_load_many(list(identity.LIVE_PLACEMENTS), data, "smoke", seeds=0, device="cpu",
                       variants=placements.variants)
    train_or_load_many(list(identity.LIVE_NO_BN), data, identity.live_no_bn_recipe(get_scale("smoke")), seeds=0,
                       device="cpu", variants=nobn.variants, on_divergence="stop")
    out = capsys.readouterr().out
    assert out.count("Loaded ") == 13 and "Training" not in out
    assert len(degradation_runs) == 6 and all(r is not None and len(r.iterations) == 5 for r in records.values())


def test_a_group_of_variants_trains_each_models_options_under_its_label(tmp_path, monkeypatch):
    from resnet_lab import runs

    monkeypatch.setenv("RESNET_LAB_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("RESNET_LAB_RUNS", str(tmp_path / "runs"))
    variants = {"original": ("preresnet8", {"placement": "original"}), "full_preact": ("preresnet8", {})}
    group = runs.RunGroup("units", "a test group", tuple(variants), SCALE, seeds=(0,), variants=variants)
    monkeypatch.setitem(runs.GROUPS, "units", group)
    runs.make_group("units", data=random_data(), device="cpu", processes=2)
    histories = runs.load_committed("units")
    assert list(histories) == ["original", "full_preact"] and histories["original"].model == "original"
    assert histories["original"].notes["model_options"] == {"placement": "original"}
    threads = torch.get_num_threads()
    try:
        set_threads(1)
        resnet8 = train_or_load("resnet8", random_data(), SCALE, runs=tmp_path / "other", progress=False,
                                device="cpu")
    finally:
        set_threads(threads)
    # the original placement is He et al. 2015's net: trained alike, it trains to the same numbers
    assert histories["original"].iter_loss == resnet8.iter_loss
    assert histories["full_preact"].iter_loss != resnet8.iter_loss


def test_runs_that_diverge_in_parallel_are_kept_and_loaded(tmp_path, capsys):
    runaway = SCALE.replace(lr=1e30)
    histories = train_or_load_many(["plain8", "resnet8"], random_data(), runaway, seeds=0, processes=2,
                                   runs=tmp_path, device="cpu", on_divergence="stop")
    out = capsys.readouterr().out
    assert out.count("diverged at iteration") == 2
    assert all(h.diverged_at and h.completed and len(h.iter_loss) == h.diverged_at for h in histories.values())
    again = train_or_load("resnet8", random_data(), runaway, runs=tmp_path, progress=False, device="cpu")
    assert again.diverged_at == histories["resnet8"].diverged_at and "Loaded resnet8" in capsys.readouterr().out
