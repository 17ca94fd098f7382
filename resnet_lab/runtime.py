"""Seeds, threads and devices: the process-wide settings every experiment depends on.

This module imports nothing else of ``resnet_lab``, so every other module may use it.
"""
from __future__ import annotations

import numbers
import os
import random

import numpy as np
import torch

__version__ = "0.1.0"
THREADS_ENV_VAR = "RESNET_LAB_THREADS"


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU)."""
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
