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

Hardware limit. Above the table the command prints what an expert needs to judge the numbers: the CPU model,
the torch CPU capability in use (``torch.backends.cpu.get_cpu_capability()``, which ``ATEN_CPU_CAPABILITY=avx2``
lowers), which of avx2, fma, avx512f, avx512_bf16, amx_bf16, avx512_vnni the CPU has, its cores and torch's
threads, and an estimate of the float32 FMA peak for those threads (:func:`fma_peak_gflops`)::

    peak GFLOP/s = cores used x FMA units per core x fp32 lanes x 2 FLOPs per FMA x GHz

with 16 lanes when torch runs its AVX512 kernels on a CPU with avx512f, 8 with AVX2 (or no avx512f), an
*assumed* 2 FMA units per core (true of recent Intel server cores and of AMD Zen; AMD Zen 4's units are 256 bits
wide and split a 512-bit FMA in two, so there the true AVX512 peak is half the estimate, which the output says),
cores used = torch threads, at most the physical cores (SMT siblings share FMA units), and the clock from
``cpu MHz`` in /proc/cpuinfo (else ``lscpu``'s max MHz); the output says which. Each row of the table then gets
the achieved GFLOP/s, images/s x FLOPs of one training step per image, where the FLOPs are those
``torch.utils.flop_counter.FlopCounterMode`` counts in one forward and backward pass (:func:`flops_per_image`:
convolutions and matrix products only, so batch norm, ReLU, the loss and the SGD update are left out), and that
as a percentage of the peak. bf16 rows are compared with the same float32 peak. Convolutions run in oneDNN,
which picks its instruction set itself: ``ATEN_CPU_CAPABILITY=avx2`` does not stop it using AVX512
(``ONEDNN_MAX_CPU_ISA=AVX2`` does), so the output warns when the AVX2 peak may understate what ran.

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
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from resnet_lab.config import Recipe
from resnet_lab.data import MEAN, STD, Images, load_cifar10
from resnet_lab.models import get_model
from resnet_lab.runtime import set_threads
from resnet_lab.training import TensorBatches, autocast_dtype, make_optimizer, train_step

DEFAULT_MODELS = ("resnet20", "resnet56")
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "avx512_vnni")
# the same flags as torch.cpu.get_capabilities() names them
_TORCH_FLAG_NAMES = {"avx2": "avx2", "fma": "fma3", "avx512f": "avx512_f", "avx512_bf16": "avx512_bf16",
                     "amx_bf16": "amx_bf16", "avx512_vnni": "avx512_vnni"}
FMA_UNITS_PER_CORE = 2  # an assumption, stated in the output: see the module docstring


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
    flops_per_image: Optional[int] = None  # of one training step (forward + backward), see flops_per_image()

    @property
    def median(self) -> float:
        return statistics.median(self.images_per_s)

    @property
    def gflops(self) -> Optional[float]:
        """Achieved GFLOP/s: the median images/s x FLOPs per image."""
        return None if self.flops_per_image is None else self.median * self.flops_per_image / 1e9

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
        from PIL import Image  # deferred: only the canonical pipeline decodes PIL images, once per item

        return self.transform(Image.fromarray(self.data[index])), self.targets[index]


def canonical_transform():
    from torchvision import transforms  # deferred: torchvision takes 1-2 s to import; only this pipeline needs it

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
        if found:  # the CPU has them, but torch was told to use its AVX2 kernels (ATEN_CPU_CAPABILITY)
            return None, (f"bf16 autocast: no, this CPU has {', '.join(found)} but torch runs its "
                          f"{torch.backends.cpu.get_cpu_capability()} kernels, as on a CPU without them; "
                          f"resnet_lab trains in float32 here")
        return None, ("bf16 autocast: no, this CPU has no AVX512-BF16 or AMX instructions, so bf16 would be "
                      "emulated and slower; resnet_lab trains in float32 here")
    if dtype is not None:
        return dtype, f"bf16 autocast: yes ({device.type} supports bf16)"
    return None, f"bf16 autocast: no ({device.type} has no native bf16); float32"


# ------------------------------------------------------------------ the hardware limit

def _cpuinfo_values(text: str, key: str) -> List[str]:
    """Every value of ``key`` in /proc/cpuinfo-style text (``key<tabs>: value`` lines, one block per CPU)."""
    values = []
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() == key:
            values.append(value.strip())
    return values


def cpu_flags(cpuinfo: str) -> Dict[str, bool]:
    """Which of :data:`CPU_FLAGS` the ``flags`` line of /proc/cpuinfo text lists (whole words only)."""
    lines = _cpuinfo_values(cpuinfo, "flags") or _cpuinfo_values(cpuinfo, "Features")  # Features: ARM
    flags = set(lines[0].split()) if lines else set()
    return {name: name in flags for name in CPU_FLAGS}


def physical_cores(cpuinfo: str) -> Optional[int]:
    """Distinct (physical id, core id) pairs in /proc/cpuinfo text; None when it does not list them."""
    pairs = set()
    for block in cpuinfo.split("\n\n"):
        socket, core = _cpuinfo_values(block, "physical id"), _cpuinfo_values(block, "core id")
        if socket and core:
            pairs.add((socket[0], core[0]))
    return len(pairs) or None


def clock_ghz(cpuinfo: str = "", lscpu: str = "") -> Tuple[Optional[float], str]:
    """The clock for the peak estimate and where it came from: the highest ``cpu MHz`` in /proc/cpuinfo text,
    else ``CPU max MHz`` in ``lscpu`` output; ``(None, "unknown")`` when neither says."""
    for text, key, source in ((cpuinfo, "cpu MHz", '"cpu MHz" in /proc/cpuinfo'),
                              (lscpu, "CPU max MHz", '"CPU max MHz" from lscpu')):
        mhz = []
        for value in _cpuinfo_values(text, key):
            try:
                mhz.append(float(value.replace(",", ".")))
            except ValueError:
                pass
        if mhz and max(mhz) > 0:
            return max(mhz) / 1000, source
    return None, "unknown"


def vector_lanes(capability: str, has_avx512f: Optional[bool]) -> Optional[int]:
    """float32 lanes per vector of the kernels torch runs: 16 with AVX512 (on a CPU with avx512f), 8 with AVX2
    (or an AVX512 capability on a CPU known to lack avx512f); None for anything else (no estimate)."""
    capability = capability.upper()
    if capability.startswith("AVX512"):
        return 8 if has_avx512f is False else 16
    if capability.startswith("AVX2"):
        return 8
    return None


def fma_peak_gflops(lanes: int, ghz: float, threads: int, fma_units: int = FMA_UNITS_PER_CORE) -> float:
    """The FMA peak in GFLOP/s: threads x FMA units per core x lanes x 2 FLOPs per FMA x GHz.

    ``threads`` should be the cores doing the work: SMT siblings share one core's FMA units.
    ``fma_units`` defaults to 2 per core, an assumption (see the module docstring).
    """
    return threads * fma_units * lanes * 2 * ghz


@dataclass
class CPUFacts:
    """What the peak estimate rests on, and what an expert asks first about a CPU benchmark."""

    model: str
    capability: str  # torch.backends.cpu.get_cpu_capability(): AVX512, AVX2, DEFAULT, ...
    flags: Dict[str, Optional[bool]]  # None: unknown here
    flags_source: str
    logical_cpus: Optional[int]
    physical_cores: Optional[int]
    threads: int
    ghz: Optional[float]
    clock_source: str
    vendor: str = ""
    family: Optional[int] = None

    @property
    def cores_used(self) -> int:
        return min(self.threads, self.physical_cores) if self.physical_cores else self.threads

    @property
    def lanes(self) -> Optional[int]:
        return vector_lanes(self.capability, self.flags.get("avx512f"))

    @property
    def peak_gflops(self) -> Optional[float]:
        if self.lanes is None or self.ghz is None:
            return None
        return fma_peak_gflops(self.lanes, self.ghz, self.cores_used)


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def read_cpu_facts(threads: Optional[int] = None) -> CPUFacts:
    """The facts of this CPU: /proc/cpuinfo on Linux, else ``torch.cpu.get_capabilities()``, else unknown."""
    cpuinfo = _read("/proc/cpuinfo")
    try:
        capabilities = torch.cpu.get_capabilities()  # torch >= 2.8
    except Exception:
        capabilities = {}
    try:
        capability = torch.backends.cpu.get_cpu_capability()
    except Exception:
        capability = "unknown"
    if _cpuinfo_values(cpuinfo, "flags"):
        flags, flags_source = dict(cpu_flags(cpuinfo)), "/proc/cpuinfo"
    elif capabilities:
        flags = {name: bool(capabilities.get(_TORCH_FLAG_NAMES[name])) for name in CPU_FLAGS}
        flags_source = "torch.cpu.get_capabilities()"
    else:
        flags, flags_source = {name: None for name in CPU_FLAGS}, "unknown on this system"
    model = ((_cpuinfo_values(cpuinfo, "model name") or [""])[0] or capabilities.get("cpu_name")
             or platform.processor() or "unknown")
    lscpu = ""
    if not _cpuinfo_values(cpuinfo, "cpu MHz") and shutil.which("lscpu"):
        try:
            lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            pass
    ghz, clock_source = clock_ghz(cpuinfo, lscpu)
    family = (_cpuinfo_values(cpuinfo, "cpu family") or [""])[0]
    return CPUFacts(model=model, capability=capability, flags=flags, flags_source=flags_source,
                    logical_cpus=os.cpu_count(),
                    physical_cores=physical_cores(cpuinfo) or capabilities.get("num_physical_cores"),
                    threads=threads or torch.get_num_threads(), ghz=ghz, clock_source=clock_source,
                    vendor=(_cpuinfo_values(cpuinfo, "vendor_id") or [""])[0],
                    family=int(family) if family.isdigit() else None)


def format_cpu(facts: CPUFacts) -> str:
    """The CPU facts and the peak estimate, with every assumption it makes, as printed above the table."""
    def yes(value):
        return "?" if value is None else ("yes" if value else "no")

    lines = [f"CPU: {facts.model} | torch CPU capability: {facts.capability} | "
             f"{facts.logical_cpus or '?'} logical CPUs, {facts.physical_cores or '?'} physical cores | "
             f"{facts.threads} torch thread{'s' if facts.threads != 1 else ''}",
             f"CPU flags ({facts.flags_source}): " + ", ".join(f"{n} {yes(facts.flags[n])}" for n in CPU_FLAGS)]
    if facts.lanes is None:
        lines.append(f"fp32 FMA peak: no estimate (torch capability {facts.capability!r} is neither AVX512 "
                     f"nor AVX2)")
    elif facts.ghz is None:
        lines.append("fp32 FMA peak: no estimate (no clock found in /proc/cpuinfo or lscpu)")
    else:
        isa = "AVX512" if facts.lanes == 16 else "AVX2"
        lines.append(
            f"fp32 FMA peak (estimate): {facts.cores_used} core{'s' if facts.cores_used != 1 else ''} x "
            f"{FMA_UNITS_PER_CORE} FMA units per core (assumed) x {facts.lanes} fp32 lanes ({isa}) x 2 FLOPs per "
            f"FMA x {facts.ghz:.3f} GHz ({facts.clock_source}) = {facts.peak_gflops:.1f} GFLOP/s")
        if facts.threads > facts.cores_used:
            lines.append(f"  ({facts.threads} threads on {facts.cores_used} physical cores: SMT siblings share "
                         f"a core's FMA units)")
        if facts.lanes == 16 and facts.vendor == "AuthenticAMD" and facts.family == 25:
            lines.append("  note: AMD Zen 4 (family 25) splits each 512-bit FMA over its two 256-bit units, so "
                         f"its true fp32 peak is half this: {facts.peak_gflops / 2:.1f} GFLOP/s")
        if (facts.lanes == 8 and facts.flags.get("avx512f")
                and not (os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA"))):
            lines.append("  note: torch runs its AVX2 kernels, but this CPU has AVX512 and oneDNN, which runs the "
                         "convolutions, still uses it (set ONEDNN_MAX_CPU_ISA=AVX2 to stop it), so the AVX2 "
                         "peak understates what the convolutions can reach")
    return "\n".join(lines)


def flops_per_image(model: torch.nn.Module, batch_size: int = 2, backward: bool = True,
                    image_size: int = 32) -> int:
    """FLOPs per image of one training step (forward and backward) of ``model`` on 3-channel images.

    Counted by ``torch.utils.flop_counter.FlopCounterMode`` on a copy of the model (the original's batch-norm
    statistics and gradients are left alone) with a random batch, divided by the batch size. The counter counts
    convolutions and matrix products, 2 FLOPs per multiply-add; it leaves out batch norm, ReLU, the loss and the
    SGD update. The backward pass of each layer computes the weight gradient and the input gradient, each as
    many FLOPs as the forward, except the first layer's input gradient (the images need none), so the
    total is 3 x forward - 2 x the first convolution's multiply-adds. ``backward=False``: the forward alone.
    """
    model = copy.deepcopy(model).cpu().float().train()
    generator = torch.Generator().manual_seed(0)  # leaves the global random state alone
    x = torch.randn(batch_size, 3, image_size, image_size, generator=generator)
    with FlopCounterMode(display=False) as counter:
        out = model(x)
        if backward:
            y = torch.randint(0, out.shape[1], (batch_size,), generator=generator)
            torch.nn.functional.cross_entropy(out, y).backward()
    total = counter.get_total_flops()
    if total % batch_size:
        raise RuntimeError(f"{total} FLOPs do not divide by the batch of {batch_size}")
    return total // batch_size


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
        flops = flops_per_image(base)
        plans = [(Measurement(name, "canonical", w, "fp32", batch_size, iterations, flops_per_image=flops), w)
                 for w in workers]
        for precision in ("fp32",) + (("bf16",) if dtype is not None else ()):
            plans.append((Measurement(name, "resnet_lab", None, precision, batch_size, iterations,
                                      flops_per_image=flops), None))
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


def format_results(results: List[Measurement], peak_gflops: Optional[float] = None) -> str:
    """A table of every measurement, with the achieved GFLOP/s and its percentage of ``peak_gflops`` (the fp32
    FMA peak estimate, :func:`fma_peak_gflops`), then the ratios (resnet_lab / canonical at its best)."""
    repeats = len(results[0].images_per_s)
    lines = [f"{'model':<10} {'pipeline':<48} {'precision':<9} {'images/s':>9} {'GFLOP/s':>8} {'% peak':>7}"
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
            gflops = f"{m.gflops:.1f}" if m.gflops is not None else "-"
            percent = f"{100 * m.gflops / peak_gflops:.1f}%" if m.gflops is not None and peak_gflops else "-"
            lines.append(f"{model:<10} {label:<48} {m.precision:<9} {m.median:>9.0f} {gflops:>8} {percent:>7}"
                         + (f"  {m.spread}" if repeats > 1 else ""))
    lines.append("* the canonical recipe's best worker count here, used as the baseline")
    counted = {m.model: m.flops_per_image for m in results if m.flops_per_image is not None}
    if counted:
        lines.append("GFLOP/s = images/s x FLOPs of one training step per image (forward + backward convolutions "
                     "and matrix products, by FlopCounterMode: "
                     + ", ".join(f"{model} {flops / 1e9:.3f} GFLOP" for model, flops in counted.items()) + ")")
        lines.append("% peak = of the fp32 FMA peak estimated above" if peak_gflops else
                     "% peak: no peak estimate for this device")
        if peak_gflops and any(m.precision == "bf16" for m in results):
            lines.append("  (bf16 rows too: AVX512-BF16's dot product does twice the multiply-adds per instruction "
                         "of an fp32 FMA, AMX far more, so their own ceiling is higher)")
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
        try:
            get_model(name)  # a clear error for a wrong name before any timing
        except ValueError as err:
            parser.error(f"--models: {err}")
    threads = set_threads(args.threads)
    data = load_cifar10(args.data)
    _, why = bf16_support(args.device)
    print(f"torch {torch.__version__} | python {platform.python_version()} | device {args.device} | "
          f"{threads} torch threads | {os.cpu_count()} CPUs")
    peak = None
    if torch.device(args.device).type == "cpu":
        facts = read_cpu_facts(threads)
        peak = facts.peak_gflops
        print(format_cpu(facts))
    print(f"data: {data.source}; {args.per_class * 10} training images")
    print(why)
    print(f"batch {args.batch_size}, {args.warmup} warm-up + {args.iterations} timed iterations, "
          f"{args.repeats} repeat(s)")
    results = run(args.models, args.batch_size, args.iterations, args.warmup, args.workers, args.repeats,
                  args.per_class, args.device, data)
    print(f"peak memory of this process: {_peak_memory_mb():.0f} MB")
    print()
    print(format_results(results, peak))
    return 0


if __name__ == "__main__":
    sys.exit(main())
