"""Train every run the notebooks train, before class: ``python -m resnet_lab prepare --scale classroom``.

The notebooks cache what they train under ``runs/`` (:func:`resnet_lab.runs.train_or_load`), keyed by everything
that shapes the result. This command trains those same runs ahead of time, one process per CPU core, so that a
room of laptops (or a shared JupyterHub whose ``runs/`` folder, ``$RESNET_LAB_RUNS``, is prepared once) runs the
notebooks without waiting for training:

- notebook 01: plain-20, plain-56, resnet-20 and resnet-56, and exercise 2's plain-32 and plain-44 (seed 0);
- notebook 02: section 6's 20-iteration probes of the same four nets, with their gradient records;
- notebook 05: seed 0 of two placements (section 4) and of the residual net without batch norm (section 5).

Notebooks 04 and 05 load committed runs (``python -m resnet_lab runs cifar_stem``), notebook 06 loads committed
weights (``python -m resnet_lab runs weights``), and notebooks 00 and 03 train nothing that is cached. A run trained here with one thread per process is the run the notebook would train in
parallel the same way; where a notebook trains with another thread count the numbers of a run differ slightly,
and the notebook loads the prepared run all the same (the cache is keyed by recipe, model, seed and data).
"""
from __future__ import annotations

import argparse
import time

from resnet_lab.config import SCALES, get_scale
from resnet_lab.data import load_cifar10
from resnet_lab.lessons import degradation, gradient_flow, identity
from resnet_lab.runs import train_or_load_many


def prepare(scale=None, data=None, processes=None, device=None) -> dict:
    """Train (or load) every cached run of the notebooks at ``scale``; returns ``{what: seconds}``."""
    scale = get_scale(scale)
    data = data if data is not None else load_cifar10()
    seconds = {}
    start = time.perf_counter()
    train_or_load_many(degradation.NETS + degradation.DEPTH_EXERCISE_NETS, data, scale, seeds=0,
                       processes=processes, device=device)
    seconds["notebook 01"] = time.perf_counter() - start
    start = time.perf_counter()
    train_or_load_many(gradient_flow.PROBE_MODELS, data, gradient_flow.probe_recipe(scale), seeds=0,
                       processes=processes, device=device, record_every=gradient_flow.PROBE_EVERY)
    seconds["notebook 02"] = time.perf_counter() - start
    start = time.perf_counter()
    identity.train_live_runs(data, scale, processes=processes, device=device)
    seconds["notebook 05"] = time.perf_counter() - start
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resnet_lab prepare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default=None, choices=sorted(SCALES),
                        help="the scale the class will run (default: $RESNET_LAB_SCALE, else classroom)")
    parser.add_argument("--data", default=None, help="CIFAR-10 location (default: $RESNET_LAB_DATA)")
    parser.add_argument("--processes", type=int, default=None,
                        help="nets trained at once on a CPU (default: one per core)")
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    if args.processes is not None and args.processes < 1:
        parser.error(f"--processes must be at least 1, got {args.processes}")
    start = time.perf_counter()
    seconds = prepare(args.scale, load_cifar10(args.data), args.processes, args.device)
    for what, s in seconds.items():
        print(f"{what}: {s:.0f} s")
    print(f"prepared in {time.perf_counter() - start:.0f} s; the notebooks now load these runs from the runs folder")
    return 0
