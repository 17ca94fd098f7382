"""Measurements that notebooks plot from committed files: ``python -m resnet_lab measure paths``.

``paths`` (notebook 06): the lesion studies, path gradients and loss landscapes of the committed resnet-56 and
plain-56 weights (``python -m resnet_lab runs weights``), written to
``resnet_lab/results/paths/measurements-seed<seed>.json`` for each seed of the weights.
"""
from __future__ import annotations

import argparse
import time

from resnet_lab.data import load_cifar10
from resnet_lab.lessons.paths import experiments
from resnet_lab.runs import GROUPS, committed_path, WEIGHTS_SUFFIX
from resnet_lab.runtime import set_threads

WHAT = {"paths": "notebook 06: lesions, path gradients and loss landscapes of the committed weights"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resnet_lab measure", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=sorted(WHAT), help="; ".join(f"{k}: {v}" for k, v in WHAT.items()))
    parser.add_argument("--seeds", nargs="+", type=int, default=None,
                        help="seeds of the weights (default: every committed seed)")
    parser.add_argument("--data", default=None, help="CIFAR-10 location (default: $RESNET_LAB_DATA)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        set_threads(args.threads)
    group = GROUPS[experiments.GROUP]
    seeds = args.seeds if args.seeds is not None else group.seeds
    missing = [committed_path(group, m, s, WEIGHTS_SUFFIX) for s in seeds for m in experiments.NETS]
    missing = [str(p) for p in missing if not p.is_file()]
    if missing:
        parser.error(f"committed weights missing ({', '.join(missing)}): make them first with `{group.command}`")
    data = load_cifar10(args.data)
    for seed in seeds:
        start = time.perf_counter()
        result = experiments.measure(data, seed)
        print(f"seed {seed}: {time.perf_counter() - start:.0f} s -> {experiments.save_measurements(result)}")
    return 0
