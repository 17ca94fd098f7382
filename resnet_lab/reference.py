"""The committed reference runs: ``python -m resnet_lab reference``.

Trains plain-20, plain-56, resnet-20 and resnet-56 at the ``reference`` scale (a 20,000-image subset of
CIFAR-10, 12 epochs with one epoch of warm-up, the learning rate divided by 10 at half and again at three
quarters of the run, as in the paper; evaluated on 5,000 test images), through the same
:func:`resnet_lab.train_or_load` the notebooks use (so an interrupted run resumes), and writes each History
to ``figures/reference/<model>.json``. Notebook 01 plots these beside its live classroom run.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .plots.style import figures_dir

MODELS = ("plain20", "plain56", "resnet20", "resnet56")
SCALE = "reference"
COMMAND = "python -m resnet_lab reference"  # recorded in each History's notes


def reference_dir() -> Path:
    return figures_dir() / "reference"


def load_reference(models=MODELS) -> dict:
    """The committed reference Histories that exist, by model name (empty if none were committed)."""
    from .history import History

    folder = reference_dir()
    return {m: History.load(folder / f"{m}.json") for m in models if (folder / f"{m}.json").is_file()}


def main(argv=None) -> int:
    from .data import load_cifar10
    from .experiments import train_or_load
    from .session import set_threads

    parser = argparse.ArgumentParser(prog="python -m resnet_lab reference", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(MODELS), help="which models (default: all four)")
    parser.add_argument("--data", default=None, help="CIFAR-10 location (default: $RESNET_LAB_DATA)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    data = load_cifar10(args.data)
    out = reference_dir()
    out.mkdir(parents=True, exist_ok=True)
    for model in args.models:
        history = train_or_load(model, data, SCALE, seed=args.seed, device=args.device)
        history.notes = {"data": data.source, "command": COMMAND}
        path = out / f"{model}.json"
        path.write_text(json.dumps(history.to_dict(), separators=(",", ":")))
        print(f"{history}\n  -> {path}")
    return 0
