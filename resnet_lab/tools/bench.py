"""Training throughput (images/s): resnet_lab's pipeline against the canonical PyTorch recipe, same run.

``python -m resnet_lab bench`` trains the same model (same initial weights, batch size and SGD optimiser)
two ways on the same CIFAR-10 images, one after the other in one process, and prints images per second:

* **canonical recipe**: a ``torchvision.datasets.CIFAR10``-style ``Dataset`` that turns each stored image into
  a PIL image and runs per-image torchvision transforms (``RandomCrop(32, padding=4)``,
  ``RandomHorizontalFlip()``, ``ToTensor()``, ``Normalize``), batched by a ``DataLoader``; the model in the
  default NCHW memory format, float32. The ``DataLoader`` is measured with each of a few worker counts
  (0, 1, 2, ... up to the CPU count) and the fastest is the baseline, so the comparison is against that
  recipe at its best on this machine.
* **resnet_lab**: exactly what :func:`resnet_lab.training.train` does: uint8 images held in memory on the
  device, batches drawn by index, augmented and normalised as whole-batch tensor operations
  (:class:`resnet_lab.training.TensorBatches`), the model in channels-last memory format, and one
  :func:`resnet_lab.training.train_step`. Both sides use ``train_step`` for the SGD step itself, so the
  difference is the input pipeline, the memory format and the precision, nothing else.

Precision. resnet_lab is measured twice: in float32 (to isolate the pipeline and memory format), and with the
precision ``train()`` picks by default (``precision="auto"``, :func:`resnet_lab.training.autocast_dtype`):
bfloat16 autocast where the hardware computes bf16 natively (CPUs whose instruction set has AVX512-BF16 or
AMX, CUDA GPUs with bf16), float32 elsewhere. On a CPU without those instructions bf16 is emulated and
slower than float32, so it is not used there; the output says which case applies and why. Autocast keeps
the weights, the optimiser step and the loss in float32 (only convolutions and matrix products run in bf16).
The ratio printed last compares resnet_lab as ``train()`` runs it with the canonical recipe at its best.

Timings on a shared machine are noisy: ``--repeats`` runs every measurement several times, interleaved, and
reports the median and the range. When other programs keep the cores busy, torch's multi-threaded kernels wait
on each other and every pipeline slows down several-fold; ``--threads 1`` then gives steadier ratios.
"""
from __future__ import annotations

import argparse
import copy
import os
import platform
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, List, Optional, Tuple

import numpy as np
import torch

from resnet_lab.config import Recipe
from resnet_lab.data import MEAN, STD, Images, load_cifar10
from resnet_lab.models import get_model
from resnet_lab.runtime import set_threads
from resnet_lab.training import TensorBatches, autocast_dtype, make_optimizer, train_step

DEFAULT_MODELS = ("resnet20", "resnet56")


@dataclass
class Measurement:
    """Throughput of one pipeline: images per second over each repeat of the timed iterations."""

    model: str
    pipeline: str
    workers: Optional[int]
    precision: str
    batch_size: int
    iterations: int
    images_per_s: List[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.images_per_s)

    @property
    def spread(self) -> str:
        if len(self.images_per_s) < 2:
            return ""
        return f"{min(self.images_per_s):.0f}-{max(self.images_per_s):.0f}"


# ------------------------------------------------------------------ the canonical recipe

class CIFAR10Style(torch.utils.data.Dataset):
    """What ``torchvision.datasets.CIFAR10`` does: HWC uint8 arrays in memory, a PIL image per item, a transform."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform: Callable):
        self.data = images.permute(0, 2, 3, 1).contiguous().numpy()  # [N, 32, 32, 3], as torchvision keeps it
        self.targets = labels.tolist()
        self.transform = transform

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int):
        from PIL import Image

        return self.transform(Image.fromarray(self.data[index])), self.targets[index]


def canonical_transform():
    from torchvision import transforms

    return transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                               transforms.ToTensor(), transforms.Normalize(MEAN, STD)])


def canonical_batches(images, labels, batch_size: int, workers: int, device, seed: int = 0) -> Iterator:
    """Endless (x, y) batches from a ``DataLoader`` over :class:`CIFAR10Style` with per-image transforms."""
    dataset = CIFAR10Style(images, labels, canonical_transform())
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=True, drop_last=True, num_workers=workers,
        persistent_workers=workers > 0, pin_memory=torch.device(device).type == "cuda",
        generator=torch.Generator().manual_seed(seed))
    while True:
        for x, y in loader:
            yield x.to(device, non_blocking=True), y.to(device, non_blocking=True)


# ------------------------------------------------------------------ resnet_lab's pipeline

def resnet_lab_batches(images, labels, batch_size: int, device, seed: int = 0) -> Iterator:
    """Endless (x, y) batches from the training loop's own :class:`resnet_lab.training.TensorBatches`."""
    device = torch.device(device)
    batches = TensorBatches(Images(images, labels), Recipe(epochs=1, batch_size=batch_size, seed=seed), device,
                            channels_last=device.type != "mps")
    epoch = 0
    while True:
        for _, x, y in batches.epoch(epoch, batches.per_epoch):
            yield x, y
        epoch += 1


# ------------------------------------------------------------------ timing

def _synchronize(device) -> None:
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_training(model, batches: Iterator, dtype, iterations: int, warmup: int, device) -> float:
    """Images per second of ``iterations`` SGD steps (data loading included) after ``warmup`` untimed ones."""
    optimizer = make_optimizer(model, Recipe(epochs=1))
    model.train()
    batch_size = None
    for _ in range(warmup):
        x, y = next(batches)
        train_step(model, optimizer, x, y, dtype)
    _synchronize(device)
    start = time.perf_counter()
    for _ in range(iterations):
        x, y = next(batches)
        batch_size = len(y)
        loss, _ = train_step(model, optimizer, x, y, dtype)
    loss.item()
    _synchronize(device)
    return iterations * batch_size / (time.perf_counter() - start)


def bf16_support(device) -> Tuple[Optional[torch.dtype], str]:
    """The autocast dtype ``train()`` uses by default here, and a sentence saying why."""
    device = torch.device(device)
    dtype = autocast_dtype(device, "auto")
    if device.type == "cpu":
        caps = {}
        try:
            caps = torch.cpu.get_capabilities()  # torch >= 2.8
        except Exception:
            pass
        found = [name for name in ("avx512_bf16", "amx_bf16") if caps.get(name)]
        if dtype is not None:
            return dtype, (f"bf16 autocast: yes, this CPU computes bf16 natively "
                           f"({', '.join(found) or 'AVX512-BF16/AMX'} reported)")
        return None, ("bf16 autocast: no, this CPU has no AVX512-BF16 or AMX instructions, so bf16 would be "
                      "emulated and slower; resnet_lab trains in float32 here")
    if dtype is not None:
        return dtype, f"bf16 autocast: yes ({device.type} supports bf16)"
    return None, f"bf16 autocast: no ({device.type} has no native bf16); float32"


def _peak_memory_mb() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage / 1024 if sys.platform != "darwin" else usage / 2**20


def run(models=DEFAULT_MODELS, batch_size: int = 128, iterations: int = 10, warmup: int = 3,
        workers=None, repeats: int = 1, per_class: int = 300, device="cpu", data=None,
        log=print, model_options=None) -> List[Measurement]:
    """Measure every pipeline for every model; returns the measurements (``main`` prints them).

    ``data``: a :class:`resnet_lab.data.CIFAR10` (default: :func:`resnet_lab.data.load_cifar10`);
    ``model_options``: passed to ``get_model`` (e.g. ``{"width": 4}`` for a quick check).
    """

    device = torch.device(device)
    if workers is None:
        workers = list(range(0, min(os.cpu_count() or 1, 4) + 1))
    dtype, _ = bf16_support(device)
    data = data if data is not None else load_cifar10()
    subset = data.train.subset(per_class)
    if len(subset) < batch_size:
        raise ValueError(f"{len(subset)} images make no batch of {batch_size}; raise --per-class")
    results: List[Measurement] = []
    for name in models:
        torch.manual_seed(0)
        base = get_model(name, **(model_options or {}))
        plans = [(Measurement(name, "canonical", w, "fp32", batch_size, iterations), w) for w in workers]
        plans.append((Measurement(name, "resnet_lab", None, "fp32", batch_size, iterations), None))
        if dtype is not None:
            plans.append((Measurement(name, "resnet_lab", None, "bf16", batch_size, iterations), None))
        for repeat in range(repeats):
            for measurement, w in plans:
                model = copy.deepcopy(base).to(device)
                if measurement.pipeline == "canonical":
                    batches = canonical_batches(subset.images, subset.labels, batch_size, w, device, seed=repeat)
                    step_dtype = None
                else:
                    if device.type != "mps":
                        model = model.to(memory_format=torch.channels_last)
                    batches = resnet_lab_batches(subset.images, subset.labels, batch_size, device, seed=repeat)
                    step_dtype = dtype if measurement.precision == "bf16" else None
                measurement.images_per_s.append(time_training(model, batches, step_dtype, iterations, warmup,
                                                              device))
                batches.close()  # shuts the DataLoader's workers down
                what = (f"canonical, {w} worker{'s' if w != 1 else ''}" if w is not None
                        else f"resnet_lab, {measurement.precision}")
                log(f"  {name} {what}: {measurement.images_per_s[-1]:.0f} images/s")
        results.extend(m for m, _ in plans)
    return results


def best_canonical(results: List[Measurement], model: str) -> Measurement:
    return max((m for m in results if m.model == model and m.pipeline == "canonical"), key=lambda m: m.median)


def ours(results: List[Measurement], model: str, precision: str) -> Optional[Measurement]:
    found = [m for m in results if m.model == model and m.pipeline == "resnet_lab" and m.precision == precision]
    return found[0] if found else None


def format_results(results: List[Measurement]) -> str:
    """A table of every measurement, then the ratios (resnet_lab / canonical at its best)."""
    repeats = len(results[0].images_per_s)
    lines = [f"{'model':<10} {'pipeline':<48} {'precision':<9} {'images/s':>9}"
             + ("  range" if repeats > 1 else "")]
    models = list(dict.fromkeys(m.model for m in results))
    for model in models:
        best = best_canonical(results, model)
        for m in (r for r in results if r.model == model):
            if m.pipeline == "canonical":
                label = (f"canonical: Dataset+DataLoader, {m.workers} worker{'s' if m.workers != 1 else ''}, NCHW"
                         + (" *" if m is best else ""))
            else:
                label = "resnet_lab: batched augmentation, channels-last"
            lines.append(f"{model:<10} {label:<48} {m.precision:<9} {m.median:>9.0f}"
                         + (f"  {m.spread}" if repeats > 1 else ""))
    lines.append("* the canonical recipe's best worker count here, used as the baseline")
    lines.append("")
    lines.append("speed-up over the canonical recipe (same model, batch and optimiser):")
    for model in models:
        best = best_canonical(results, model)
        fp32, bf16 = ours(results, model, "fp32"), ours(results, model, "bf16")
        headline = bf16 or fp32
        detail = f" (float32 alone: {fp32.median / best.median:.2f}x)" if bf16 is not None else ""
        lines.append(f"  {model}: {headline.median / best.median:.2f}x as train() runs it "
                     f"[{headline.precision}]{detail}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m resnet_lab bench",
        description="Training throughput (images/s) of resnet_lab's pipeline against the canonical PyTorch "
                    "recipe (per-image torchvision transforms in a DataLoader, NCHW, float32), same machine, "
                    "same run, same model, batch and optimiser. The ratio is printed last.",
        epilog="Example: python -m resnet_lab bench --models resnet20 --iterations 20 --repeats 3")
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS),
                        help=f"model names (default: {' '.join(DEFAULT_MODELS)})")
    parser.add_argument("--batch-size", type=int, default=128, help="images per SGD step (default: %(default)s)")
    parser.add_argument("--iterations", type=int, default=10,
                        help="timed SGD steps per measurement (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=3,
                        help="untimed steps before each measurement (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="measure everything this many times, interleaved; report median and range")
    parser.add_argument("--workers", type=int, nargs="+", default=None,
                        help="DataLoader worker counts to try for the canonical recipe "
                             "(default: 0 up to the CPU count, at most 4)")
    parser.add_argument("--per-class", type=int, default=300, help="CIFAR-10 training images per class to use")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: $RESNET_LAB_THREADS, else torch's)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, mps")
    parser.add_argument("--data", default=None,
                        help="CIFAR-10 location (default: $RESNET_LAB_DATA, else ~/.cache/resnet_lab/cifar10)")
    args = parser.parse_args(argv)
    for name in ("batch_size", "iterations", "repeats", "per_class"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0 or any(w < 0 for w in args.workers or []):
        parser.error("--warmup and --workers must be >= 0")

    for name in args.models:
        get_model(name)  # a clear error for a wrong name before any timing
    threads = set_threads(args.threads)
    data = load_cifar10(args.data)
    _, why = bf16_support(args.device)
    print(f"torch {torch.__version__} | python {platform.python_version()} | device {args.device} | "
          f"{threads} torch threads | {os.cpu_count()} CPUs")
    print(f"data: {data.source}; {args.per_class * 10} training images")
    print(why)
    print(f"batch {args.batch_size}, {args.warmup} warm-up + {args.iterations} timed iterations, "
          f"{args.repeats} repeat(s)")
    results = run(args.models, args.batch_size, args.iterations, args.warmup, args.workers, args.repeats,
                  args.per_class, args.device, data)
    print(f"peak memory of this process: {_peak_memory_mb():.0f} MB")
    print()
    print(format_results(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
