"""Load-else-train, and the committed results that the notebooks load.

``train_or_load("plain56", data, "classroom")`` trains plain-56 at the classroom scale once, keeps its checkpoint
and History under ``runs/<name>/``, and on every later call loads the History instead of training again. The
folder name is a hash of everything that shapes the result: the recipe (not its name), the seed, the model and
its options, and a fingerprint of the data's pixels. An interrupted run resumes from its last checkpoint.
Delete the folder to retrain.

Runs that take longer than a notebook may are committed to the repository in groups, made by one command::

    python -m resnet_lab runs degradation       # or cifar_stem, gradient_flow; --help lists them

Each group trains its models through :func:`train_or_load` and writes one History per model and seed to
``resnet_lab/results/<group>/<model>-<scale>-seed<seed>.json`` (plus ``.gradients.json`` when the group records
gradient flow). :func:`load_committed` reads a group back; ``tests/test_committed_runs.py`` checks every file
against the recipe that claims to make it.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

import torch

from resnet_lab.config import Recipe, get_scale, recipe_for_model
from resnet_lab.data import load_cifar10, split_validation
from resnet_lab.gradients import GradientRecorder
from resnet_lab.models import cifar_depth, cifar_family, get_model, is_cifar_family
from resnet_lab.runtime import check_seed, default_device, seed_everything, set_threads
from resnet_lab.training import CHECKPOINT, HISTORY, History, load_checkpoint, train

RUNS_ENV_VAR = "RESNET_LAB_RUNS"
RESULTS_ENV_VAR = "RESNET_LAB_RESULTS"


def _checkout() -> Optional[Path]:
    repo = Path(__file__).resolve().parents[1]
    return repo if (repo / "resnet_lab").is_dir() and (repo / "notebooks").is_dir() else None


def runs_dir() -> Path:
    """Where cached runs live: ``$RESNET_LAB_RUNS``, else ``runs/`` in the course checkout."""
    if os.environ.get(RUNS_ENV_VAR):
        return Path(os.environ[RUNS_ENV_VAR])
    return (_checkout() or Path.cwd()) / "runs"


def results_dir() -> Path:
    """Where committed results live: ``$RESNET_LAB_RESULTS``, else ``resnet_lab/results/`` (shipped with the code)."""
    if os.environ.get(RESULTS_ENV_VAR):
        return Path(os.environ[RESULTS_ENV_VAR])
    return Path(__file__).resolve().parent / "results"


# ------------------------------------------------------------------ load-else-train

def split_for_scale(data, scale: Recipe, seed: int = 0) -> Tuple[object, object, str]:
    """The training and evaluation sets a recipe asks for: (train_set, eval_set, eval_name)."""
    train_set, eval_set, eval_name = data.train, data.test, "test"
    if scale.validation:
        train_set, eval_set = split_validation(train_set, val_size=5000, seed=seed)
        eval_name = "validation"
    if scale.train_per_class is not None:
        train_set = train_set.subset(scale.train_per_class, seed=seed)
    if scale.test_per_class is not None:
        eval_set = eval_set.subset(scale.test_per_class, seed=seed)
    return train_set, eval_set, eval_name


def build_model(model_name: str, scale: Recipe, **model_options):
    """``get_model`` with the recipe's width for the CIFAR family."""
    if is_cifar_family(model_name):
        model_options.setdefault("width", scale.width)
    return get_model(model_name, **model_options)


def data_fingerprint(data) -> str:
    """A hash of the pixels and labels of ``data`` (a ``CIFAR10``, or anything with ``train`` and ``test``)."""
    if hasattr(data, "fingerprint"):
        return data.fingerprint()
    return data.train.fingerprint() + data.test.fingerprint()


def run_name(model_name: str, scale: Recipe, seed: int, data, record_every: Optional[int] = None,
             **model_options) -> str:
    """A folder name that changes whenever anything that shapes the result changes (not the recipe's name)."""
    key = json.dumps({"recipe": scale.replace(seed=seed).key(), "model": model_name, "options": model_options,
                      "data": data_fingerprint(data), "record_every": record_every}, sort_keys=True, default=str)
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    return f"{model_name}-{scale.name}-seed{seed}-{digest}"


def run_folder(model_name: str, data, scale=None, seed: int = 0, runs=None, record_every: Optional[int] = None,
               **model_options) -> Path:
    """The folder where :func:`train_or_load` keeps this run's checkpoint and History."""
    folder = Path(runs) if runs is not None else runs_dir()
    scale = recipe_for_model(get_scale(scale), cifar_depth(model_name), cifar_family(model_name))
    return folder / run_name(model_name, scale, seed, data, record_every, **model_options)


def load_trained_model(model_name: str, data, scale=None, seed: int = 0, runs=None, **model_options):
    """The model that :func:`train_or_load` trained, with its final weights, on the CPU in eval mode."""
    scale = get_scale(scale)
    folder = run_folder(model_name, data, scale, seed, runs, **model_options)
    if not (folder / CHECKPOINT).is_file():
        raise FileNotFoundError(f"{model_name} has not been trained at the {scale.name} scale with seed {seed} "
                                f"(no checkpoint in {folder}); call train_or_load first.")
    checkpoint = load_checkpoint(folder / CHECKPOINT)
    if not isinstance(checkpoint, dict) or "model" not in checkpoint or "architecture" not in checkpoint:
        raise ValueError(f"{folder / CHECKPOINT} is not a resnet_lab checkpoint (no 'model' and 'architecture' "
                         f"entries); it may be a bare state_dict. Delete the folder {folder} and call train_or_load "
                         f"to train {model_name} again.")
    model = build_model(model_name, scale, **model_options)
    model.load_state_dict(checkpoint["model"])
    return model.eval()


def records_file(every: int) -> str:
    return f"gradients-every{every}.json"


def train_or_load(model_name: str, data, scale=None, seed: int = 0, device=None, runs=None,
                  progress: bool = True, after_backward: Optional[Callable] = None,
                  record_every: Optional[int] = None, quiet: bool = False, on_divergence: str = "raise",
                  **model_options) -> History:
    """Train ``model_name`` on ``data`` (a ``CIFAR10``) at ``scale``, or load the finished run from disk.

    ``record_every=k`` also records per-layer gradient norms every k iterations with a
    :class:`resnet_lab.gradients.GradientRecorder`, saved beside the History (:func:`load_records` reads them).
    ``after_backward`` is only called when training actually happens (not when a cached run is loaded).
    ``quiet`` loads a finished run without saying so. ``on_divergence="stop"`` ends a diverging run and keeps it
    as finished, with the iteration in ``History.diverged_at`` (see :func:`resnet_lab.training.train`).
    A damaged ``history.json`` next to a checkpoint is treated as an interrupted run: it resumes from the
    checkpoint, which holds its own History.
    """
    scale = recipe_for_model(get_scale(scale), cifar_depth(model_name), cifar_family(model_name))   # the paper's ResNet-110 warm-up
    check_seed(seed)
    folder = run_folder(model_name, data, scale, seed, runs, record_every, **model_options)
    history, damaged = _read_history(folder)
    if history is not None and history.completed:
        if not quiet:
            print(f"Loaded {model_name} from {folder} (delete that folder to train again).")
        return history
    if damaged:
        print(f"{folder / HISTORY} is damaged; resuming from {folder / CHECKPOINT}, which holds its own History.")
    seed_everything(seed)
    model = build_model(model_name, scale, **model_options)
    train_set, eval_set, eval_name = split_for_scale(data, scale, seed)
    recorder = GradientRecorder(model, every=record_every, label=model_name) if record_every else None
    hooks = [h for h in (after_backward, recorder) if h is not None]
    history = train(model, train_set, eval_set, scale.replace(seed=seed), out=folder, resume=True, device=device,
                    progress=progress, eval_name=eval_name, model_name=model_name,
                    after_backward=(lambda i, m: [h(i, m) for h in hooks]) if hooks else None,
                    on_divergence=on_divergence)
    if recorder is not None:
        recorder.close()
        if history.completed:
            recorder.save(folder / records_file(record_every))
    if damaged and history.completed:
        history.save(folder / HISTORY)  # a run that had finished trains no epoch, so nothing rewrote it
    return history


def _read_history(folder: Path) -> Tuple[Optional[History], bool]:
    """(the History in ``folder`` or None, whether a damaged one is to be replaced from the checkpoint)."""
    if not (folder / HISTORY).is_file():
        return None, False
    try:
        return History.load(folder / HISTORY), False
    except ValueError as err:
        if (folder / CHECKPOINT).is_file():
            return None, True
        raise ValueError(f"The run folder {folder} holds a damaged {HISTORY} and no {CHECKPOINT} to resume from: "
                         f"delete that folder (rm -r '{folder}') and call train_or_load again to train afresh. "
                         f"({err})") from err


def load_records(model_name: str, data, scale=None, seed: int = 0, every: int = 10, runs=None,
                 **model_options) -> Optional[GradientRecorder]:
    """The gradient records of a finished ``train_or_load(..., record_every=every)`` run, or None."""
    folder = run_folder(model_name, data, scale, seed, runs, every, **model_options)
    if (folder / records_file(every)).is_file() and _finished(folder):
        return GradientRecorder.load(folder / records_file(every))
    return None


def train_and_record(model_name: str, data, scale=None, seed: int = 0, every: int = 10, device=None, runs=None,
                     progress: bool = True, **model_options) -> Tuple[History, GradientRecorder]:
    """``train_or_load`` with ``record_every=every``; returns ``(history, records)``. A run that resumes from an
    interrupted checkpoint records only the iterations trained in the resumed call."""
    history = train_or_load(model_name, data, scale, seed, device, runs, progress, record_every=every,
                            **model_options)
    records = load_records(model_name, data, scale, seed, every, runs, **model_options)
    return history, records


def _train_or_load_child(job) -> Tuple[str, int, History]:
    """One net of :func:`train_or_load_many`, in its own process with ``threads`` torch threads."""
    label, model_name, data, scale, seed, device, runs, threads, record_every, on_divergence, options = job
    set_threads(threads)
    return label, seed, train_or_load(model_name, data, scale, seed, device, runs, progress=False,
                                      record_every=record_every, on_divergence=on_divergence, **options)


def train_or_load_many(model_names, data, scale=None, seeds=0, processes: Optional[int] = None, device=None,
                       runs=None, record_every: Optional[int] = None, variants: Optional[Dict] = None,
                       on_divergence: str = "raise", **model_options) -> Dict:
    """:func:`train_or_load` for every model (and seed), training the missing runs in parallel processes.

    On a CPU, ``processes`` nets train at once (default: one per core, at most one per missing run), each with
    ``cores // processes`` torch threads; a run trained this way is exactly the run :func:`train_or_load` makes
    with that thread count. Finished runs are loaded, not retrained. Returns ``{model: History}`` when ``seeds``
    is one seed, ``{(model, seed): History}`` when it is a list of seeds; in the order asked.

    ``variants`` names models with options: ``{"bn_after_add": ("preresnet56", {"placement": "bn_after_add"})}``
    lets ``model_names`` hold ``"bn_after_add"``, and the result is keyed (and each History labelled) by it.
    """
    scale = get_scale(scale)
    seed_list = [seeds] if isinstance(seeds, int) else list(seeds)
    variants = variants or {}

    def spec(label):
        model, options = variants.get(label, (label, {}))
        return model, {**model_options, **options}

    jobs = [(m, s) for s in seed_list for m in model_names]
    todo = [(m, s) for m, s in jobs
            if not _finished(run_folder(spec(m)[0], data, scale, s, runs, record_every, **spec(m)[1]))]
    cores = os.cpu_count() or 1
    on_cpu = torch.device(device).type == "cpu" if device is not None else default_device().type == "cpu"
    processes = min(processes or cores, len(todo)) if on_cpu else 1
    if processes > 1:
        threads = max(1, cores // processes)
        # the deepest nets first, so no process is left alone with a long run at the end
        todo.sort(key=lambda job: -int("".join(ch for ch in spec(job[0])[0] if ch.isdigit()) or 0))
        print(f"Training {len(todo)} run(s) in {processes} processes, {threads} torch thread(s) each.", flush=True)
        pool = torch.multiprocessing.get_context("spawn").Pool(processes)
        try:
            work = [(m, *spec(m)[:1], data, scale, s, device, runs, threads, record_every, on_divergence, spec(m)[1])
                    for m, s in todo]
            for m, s, history in pool.imap_unordered(_train_or_load_child, work):
                done = (f"diverged at iteration {history.diverged_at}" if history.diverged_at else
                        f"{history.time[-1]:.0f} s of training")
                print(f"  {m} (seed {s}): {done}", flush=True)
            pool.close()
        finally:
            pool.terminate()
            pool.join()
    trained = set(todo) if processes > 1 else set()   # just trained in a child: load them without a word
    histories = {(m, s): train_or_load(spec(m)[0], data, scale, s, device, runs, record_every=record_every,
                                       quiet=(m, s) in trained, on_divergence=on_divergence, **spec(m)[1])
                 for m, s in jobs}
    for (m, _), history in histories.items():
        history.model = m

    return {m: h for (m, _), h in histories.items()} if isinstance(seeds, int) else histories


def _finished(folder: Path) -> bool:
    """True when ``folder`` holds the History of a completed run (a damaged one counts as unfinished)."""
    try:
        return (folder / HISTORY).is_file() and History.load(folder / HISTORY).completed
    except ValueError:
        return False


# ------------------------------------------------------------------ committed results

#: The recipe of notebook 04's comparison: 5,000 images, 6 epochs of batch 128 at lr 0.1 after a one-epoch warm-up
#: (the classroom scale of resnet_lab 0.1, kept so the committed runs need not be remade: ResNet-18 alone took
#: 580 s of one-thread CPU training).
CIFAR_STEM = Recipe(name="cifar_stem", train_per_class=500, test_per_class=100, width=16, epochs=6, batch_size=128,
                    lr=0.1, warmup_epochs=1)

#: Notebook 05's deep nets without batch norm: the classroom images, and He et al.'s learning rate of 0.1 per batch
#: of 128 from the first step, with no warm-up (our choice of length: 3 epochs, 105 iterations).
NO_BATCHNORM = Recipe(name="no_batchnorm", train_per_class=450, test_per_class=100, width=16, epochs=3,
                      batch_size=128, lr=0.1)
PLACEMENT_DEPTH = 110   # notebook 05: the depth of the placement runs, chosen by measurement (README, Committed runs)
PLACEMENTS_ORDER = ("original", "bn_after_add", "relu_before_add", "relu_preact", "full_preact")
NO_BATCHNORM_DEPTH = 110
NO_BATCHNORM_NETS = {
    "plain": {"residual": False},
    "residual": {},
    "zero_last": {"init": "zero_last"},
    "skipinit": {"init": "skipinit"},
    "fixup": {"init": "fixup"},
}


@dataclass(frozen=True)
class RunGroup:
    """Runs committed together: ``models`` at ``scale`` for each of ``seeds``, for the notebook that plots them."""

    name: str
    description: str
    models: Tuple[str, ...]
    scale: object                        # a scale's name, or a Recipe
    seeds: Tuple[int, ...] = (0,)
    record_every: Optional[int] = None   # also commit gradient records every this many iterations
    variants: Optional[Dict[str, Tuple[str, dict]]] = None   # label -> (model, options), for models with options
    on_divergence: str = "raise"         # "stop": a diverging run is kept, with the iteration it diverged at
    weights: bool = False                # also commit each run's final weights, in half precision

    def spec(self, label: str) -> Tuple[str, dict]:
        """(model name, options) of one of :attr:`models`."""
        return (self.variants or {}).get(label, (label, {}))

    @property
    def command(self) -> str:
        return f"python -m resnet_lab runs {self.name}"


GROUPS: Dict[str, RunGroup] = {g.name: g for g in (
    RunGroup("degradation", "notebook 01: plain-20/56 and resnet-20/56 at the reference scale",
             ("plain20", "plain56", "resnet20", "resnet56"), "reference"),
    RunGroup("degradation_classroom", "notebook 01: the same four nets at the classroom scale, five seeds",
             ("plain20", "plain56", "resnet20", "resnet56"), "classroom", seeds=(0, 1, 2, 3, 4)),
    RunGroup("cifar_stem", "notebook 04: ResNet-18 with a CIFAR stem against resnet-56, its own short recipe",
             ("resnet18_cifar", "resnet56"), CIFAR_STEM),
    RunGroup("gradient_flow", "notebook 02: per-layer gradient norms every 5th iteration of a classroom run",
             ("plain20", "resnet20", "plain56", "resnet56"), "classroom", record_every=5),
    RunGroup("placements", f"notebook 05: the five activation placements of He et al. 2016 (preresnet"
                           f"{PLACEMENT_DEPTH}) at the classroom scale, three seeds",
             PLACEMENTS_ORDER, "classroom", seeds=(0, 1, 2),
             variants={p: (f"preresnet{PLACEMENT_DEPTH}", {"placement": p}) for p in PLACEMENTS_ORDER}),
    RunGroup("no_batchnorm", f"notebook 05: {NO_BATCHNORM_DEPTH}-layer nets without batch norm at lr 0.1, no "
                             "warm-up; a diverging run stops and says where",
             tuple(NO_BATCHNORM_NETS), NO_BATCHNORM, seeds=(0, 1, 2), on_divergence="stop",
             variants={k: (f"preresnet{NO_BATCHNORM_DEPTH}", {"placement": "original", "batchnorm": False, **v})
                       for k, v in NO_BATCHNORM_NETS.items()}),
    RunGroup("weights", "notebook 06: resnet-56 and plain-56 at the reference scale, two seeds, with their trained "
                        "weights (half precision)",
             ("resnet56", "plain56"), "reference", seeds=(0, 1), weights=True),
)}


def committed_path(group: str, model_name: str, seed: int = 0, suffix: str = ".json") -> Path:
    """Where the committed History (or, with ``suffix=".gradients.json"``, the gradient records) of a run lives."""
    g = _group(group)
    return results_dir() / g.name / f"{model_name}-{get_scale(g.scale).name}-seed{seed}{suffix}"


def load_committed(group: str, seed: int = 0) -> Dict[str, History]:
    """The committed Histories of every model of ``group`` for ``seed``, by model name; empty if any is missing."""
    g = _group(group)
    paths = {m: committed_path(g.name, m, seed) for m in g.models}
    if not all(p.is_file() for p in paths.values()):
        return {}
    return {m: History.load(p) for m, p in paths.items()}


def load_committed_records(group: str, seed: int = 0) -> Dict[str, GradientRecorder]:
    """The committed gradient records of every model of ``group`` for ``seed``; empty if any is missing."""
    g = _group(group)
    paths = {m: committed_path(g.name, m, seed, ".gradients.json") for m in g.models}
    if not all(p.is_file() for p in paths.values()):
        return {}
    return {m: GradientRecorder.load(p) for m, p in paths.items()}


def make_group(group: str, models=None, seeds=None, data=None, device=None, processes: Optional[int] = None) -> list:
    """Train (or load from ``runs/``) the runs of ``group``, in parallel processes on a CPU, and write them to
    :func:`results_dir`; returns the paths written."""
    g = _group(group)
    models = list(models or g.models)
    unknown = [m for m in models if m not in g.models]
    if unknown:
        raise ValueError(f"{', '.join(map(repr, unknown))} not in the {g.name} group; its models are "
                         f"{', '.join(g.models)}")
    data = data if data is not None else load_cifar10()
    seeds = list(g.seeds if seeds is None else seeds)
    histories = train_or_load_many(models, data, g.scale, seeds, processes, device, record_every=g.record_every,
                                   variants=g.variants, on_divergence=g.on_divergence)
    written = []
    for (model_name, seed), history in histories.items():
        model, options = g.spec(model_name)
        history.notes = {**history.notes, "command": g.command, "data": getattr(data, "source", ""),
                         "data_fingerprint": data_fingerprint(data), "model": model, "model_options": options}
        written.append(history.save(committed_path(g, model_name, seed)))
        if g.record_every:
            records = load_records(model_name, data, g.scale, seed, g.record_every)
            written.append(records.save(committed_path(g, model_name, seed, ".gradients.json")))
        if g.weights:
            trained = load_trained_model(model, data, g.scale, seed, **options)
            written.append(save_half_weights(trained, committed_path(g, model_name, seed, WEIGHTS_SUFFIX)))
        print(f"{history}\n  -> {written[-1]}")
    return written


WEIGHTS_SUFFIX = ".weights.pt"


def save_half_weights(model: torch.nn.Module, path) -> Path:
    """Write ``model``'s state_dict with its floating-point tensors in half precision (half the bytes of float32)."""
    state = {k: v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()
             for k, v in model.state_dict().items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return path


def load_committed_model(group: str, model_name: str, seed: int = 0) -> Optional[torch.nn.Module]:
    """The committed trained weights of ``model_name`` (seed ``seed``) of ``group``, as a float32 model in eval mode
    on the CPU; None when the file is missing (the notebook then trains its own)."""
    g = _group(group)
    if not g.weights:
        raise ValueError(f"the {g.name} group commits no weights; groups with weights: "
                         f"{', '.join(n for n, x in GROUPS.items() if x.weights)}")
    if model_name not in g.models:
        raise ValueError(f"{model_name!r} not in the {g.name} group; its models are {', '.join(g.models)}")
    path = committed_path(g, model_name, seed, WEIGHTS_SUFFIX)
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(f"{path} cannot be read as saved weights ({type(err).__name__}): delete it and run "
                         f"`{g.command}` to make it again.") from err
    model_type, options = g.spec(model_name)
    model = build_model(model_type, get_scale(g.scale), **options)
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return model.eval()


def _group(name) -> RunGroup:
    if isinstance(name, RunGroup):
        return name
    if name not in GROUPS:
        raise ValueError(f"Unknown group of committed runs {name!r}; choose one of {', '.join(GROUPS)}")
    return GROUPS[name]


def main(argv=None) -> int:
    """``python -m resnet_lab runs GROUP``: regenerate a group of committed runs."""
    listing = "\n".join(f"  {g.name:<14} {g.description} ({len(g.models)} models x {len(g.seeds)} seed(s))"
                        for g in GROUPS.values())
    parser = argparse.ArgumentParser(prog="python -m resnet_lab runs",
                                     description="Train a group of runs (or load them from runs/) and commit their "
                                                 "Histories under resnet_lab/results/<group>/.",
                                     epilog=f"groups:\n{listing}", formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("group", choices=sorted(GROUPS), metavar="group", help="which group (listed below)")
    parser.add_argument("--models", nargs="+", default=None, help="only these models of the group")
    parser.add_argument("--seeds", nargs="+", type=int, default=None, help="only these seeds (default: the group's)")
    parser.add_argument("--data", default=None, help="CIFAR-10 location (default: $RESNET_LAB_DATA)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--processes", type=int, default=None,
                        help="nets trained at once on a CPU (default: one per core), each with cores / processes "
                             "torch threads")
    args = parser.parse_args(argv)
    unknown = [m for m in args.models or () if m not in GROUPS[args.group].models]
    if unknown:  # before the data are loaded
        parser.error(f"--models: {', '.join(map(repr, unknown))} not in the {args.group} group; its models are "
                     f"{', '.join(GROUPS[args.group].models)}")
    make_group(args.group, args.models, args.seeds, load_cifar10(args.data), args.device, args.processes)
    return 0
