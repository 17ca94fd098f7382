"""Training runs that also record gradient flow, cached next to their History.

``train_and_record("plain56", data, "classroom")`` trains exactly as :func:`resnet_lab.train_or_load` does, with
a :class:`resnet_lab.gradients.GradientRecorder` as ``after_backward``: it trains once, writes the records to
``gradients-every<k>.json`` in the run's folder under ``runs/`` (the folder ``train_or_load`` uses for the same
model, scale, seed and data), and on every later call loads the History and the records instead of training.
A run that ``train_or_load`` already finished without a recorder has no records: :func:`load_recorded`
returns None for it (delete the folder to train again with a recorder).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

from .experiments import build_model, run_name, runs_dir, split_for_scale
from .gradients import GradientRecorder
from .history import History
from .scale import get_scale
from .session import seed_everything
from .train import train


def records_path(model_name: str, data, scale=None, seed: int = 0, every: int = 10, runs=None,
                 **model_options) -> Path:
    """Where the gradient records of this run live (whether or not they exist yet)."""
    scale = get_scale(scale)
    folder = Path(runs) if runs is not None else runs_dir()
    name = run_name(model_name, scale, seed, getattr(data, "source", ""), **model_options)
    return folder / name / f"gradients-every{every}.json"


def load_recorded(model_name: str, data, scale=None, seed: int = 0, every: int = 10, runs=None,
                  **model_options) -> Optional[GradientRecorder]:
    """The records of a finished run of ``model_name`` at ``scale``, or None when there are none."""
    path = records_path(model_name, data, scale, seed, every, runs, **model_options)
    history_file = path.parent / "history.json"
    if path.is_file() and history_file.is_file() and History.load(history_file).completed:
        return GradientRecorder.load(path)
    return None


def train_and_record(model_name: str, data, scale=None, seed: int = 0, every: int = 10, device=None, runs=None,
                     progress: bool = True, **model_options) -> Tuple[History, GradientRecorder]:
    """Train ``model_name`` at ``scale`` recording per-layer gradient norms every ``every`` iterations.

    Returns ``(history, recorder)``. Loads both when this run was recorded before. Raises a ValueError when
    the run exists, finished, but was trained without a recorder (its gradients are gone). A run that resumes
    from an interrupted checkpoint records only the iterations trained in this call.
    """
    recorded = load_recorded(model_name, data, scale, seed, every, runs, **model_options)
    path = records_path(model_name, data, scale, seed, every, runs, **model_options)
    if recorded is not None:
        print(f"Loaded {model_name} and its gradient records from {path.parent} (delete that folder to train again).")
        return History.load(path.parent / "history.json"), recorded
    history_file = path.parent / "history.json"
    if history_file.is_file() and History.load(history_file).completed:
        raise ValueError(f"{path.parent} holds a finished run trained without a gradient recorder; delete that "
                         "folder to train it again with one")
    # what train_or_load does, with the recorder attached before the first forward pass
    scale = get_scale(scale)
    seed_everything(seed)
    model = build_model(model_name, scale, **model_options)
    train_set, eval_set, eval_name = split_for_scale(data, scale, seed)
    with GradientRecorder(model, every=every, label=model_name) as recorder:
        history = train(model, train_set, eval_set, scale.train_config(seed=seed), out=path.parent, resume=True,
                        device=device, progress=progress, after_backward=recorder, eval_name=eval_name,
                        model_name=model_name)
    if history.completed:
        recorder.save(path)
    return history, recorder


def main(argv=None) -> int:
    """``python -m resnet_lab.gradient_runs``: train and record the four nets of notebook 02, section 6."""
    import argparse

    from .data import load_cifar10
    from .session import set_threads

    parser = argparse.ArgumentParser(prog="python -m resnet_lab.gradient_runs",
                                     description="Train CIFAR nets while recording per-layer gradient norms; the "
                                                 "records land in the run folders under runs/, where notebook 02 "
                                                 "finds them.")
    parser.add_argument("--models", nargs="+", default=["plain20", "resnet20", "plain56", "resnet56"])
    parser.add_argument("--scale", default=None, help="run scale (default: $RESNET_LAB_SCALE, else classroom)")
    parser.add_argument("--every", type=int, default=10, help="record every this many iterations (default 10)")
    parser.add_argument("--data", default=None, help="CIFAR-10 location (default: $RESNET_LAB_DATA)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    data = load_cifar10(args.data)
    for model in args.models:
        history, recorder = train_and_record(model, data, args.scale, seed=args.seed, every=args.every,
                                             device=args.device)
        print(f"{history}\n  {recorder} -> {records_path(model, data, args.scale, args.seed, args.every)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
