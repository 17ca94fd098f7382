"""Seeds, threads and devices: the process-wide settings every experiment depends on.

This module imports nothing else of ``resnet_lab``, so every other module may use it.
"""
from __future__ import annotations

import numbers
import os
import platform
import random
from typing import List

import numpy as np
import torch

__version__ = "0.1.0"
THREADS_ENV_VAR = "RESNET_LAB_THREADS"


def check_seed(seed) -> int:
    """``seed`` if it is a whole number from 0 to 2**63 - 1 (what every generator takes), else a ValueError."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**63:
        raise ValueError(f"seed must be a whole number from 0 to 2**63 - 1, got {seed!r}")
    return int(seed)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU)."""
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def set_threads(threads=None) -> int:
    """Fix the number of CPU threads torch uses (``None``: ``$RESNET_LAB_THREADS`` or torch's default)."""
    given, origin = threads, ""
    if threads is None and os.environ.get(THREADS_ENV_VAR):
        given, origin = os.environ[THREADS_ENV_VAR], f" (from the environment variable {THREADS_ENV_VAR})"
        threads = int(given) if given.strip().isdigit() else given
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
            raise ValueError(f"threads must be a positive whole number such as 2, got {given!r}{origin}")
        torch.set_num_threads(int(threads))
    return torch.get_num_threads()


def default_device() -> torch.device:
    """The fastest device here: a CUDA GPU, else Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def available_devices() -> List[str]:
    """The devices torch can use here, e.g. ``["cpu"]`` or ``["cpu", "cuda", "cuda:0", "cuda:1"]``."""
    names = ["cpu"]
    if torch.cuda.is_available():
        names += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        names.append("mps")
    return names


def resolve_device(device=None) -> torch.device:
    """``device`` as a ``torch.device`` (``None``: :func:`default_device`); a device that does not exist, or is not
    here, is a ValueError naming the devices to choose from."""
    if device is None:
        return default_device()
    choices = (f"use 'cpu', 'cuda', 'cuda:N' or 'mps' (here: {', '.join(available_devices())}), or leave it out "
               "for the fastest one here")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"unknown device {device!r}; {choices}") from None
    if resolved.type == "cuda" and (resolved.index or 0) >= torch.cuda.device_count():
        raise ValueError(f"device {device!r} is not here (torch sees {torch.cuda.device_count()} CUDA GPU(s)); "
                         f"{choices}")
    if resolved.type == "mps" and "mps" not in available_devices():
        raise ValueError(f"device {device!r} is not here (Apple's MPS is unavailable); {choices}")
    if resolved.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"resnet_lab trains on cpu, cuda or mps, not {device!r}; {choices}")
    return resolved


def describe_device(device) -> str:
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type


def cpu_has_native_bf16() -> bool:
    """True when torch runs AVX512 kernels on a CPU with AVX512-BF16 or AMX (bf16 then beats float32).

    ``ATEN_CPU_CAPABILITY=avx2`` makes torch use its AVX2 kernels, as on a laptop without AVX512; this then
    says False, so such a run trains in float32 exactly as that laptop would.
    """
    try:
        if not torch.backends.cpu.get_cpu_capability().upper().startswith("AVX512"):
            return False
    except Exception:  # older torch: no way to ask, go by the flags
        pass
    try:
        capabilities = torch.cpu.get_capabilities()
        return bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))
    except Exception:  # older torch: read the flags the kernel reports (Linux only)
        pass
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
        return " avx512_bf16" in flags or " amx_bf16" in flags
    except OSError:
        return False


def describe_cpu() -> str:
    """This CPU in a few words: its model and the kernels torch runs on it, e.g. ``AMD EPYC (AVX2 kernels)``."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    try:
        capability = torch.backends.cpu.get_cpu_capability()
    except Exception:  # older torch
        capability = "?"
    return f"{model} ({capability} kernels{', avx512_bf16' if cpu_has_native_bf16() else ''})"


def describe_hardware(device, dtype=None) -> str:
    """Where a run trains, in one line: the device (CPU model and torch's kernel set), threads, precision, torch.

    Runs of the same seed differ slightly between CPUs with and without bf16, between thread counts and between
    torch versions, so a History records all of them.
    """
    device = torch.device(device)
    precision = "bf16 autocast" if dtype == torch.bfloat16 else "fp32"
    if device.type != "cpu":
        return f"{describe_device(device)}, {precision}, torch {torch.__version__}"
    return f"CPU {describe_cpu()}, {torch.get_num_threads()} torch thread(s), {precision}, torch {torch.__version__}"
