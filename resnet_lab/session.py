"""One call at the top of every notebook: seeds, threads, device and scale, printed; and a set-up check."""
from __future__ import annotations

import importlib
import platform
import re
from dataclasses import dataclass

import torch

from resnet_lab.config import Recipe, get_scale
from resnet_lab.runtime import __version__, describe_device, resolve_device, seed_everything, set_threads


@dataclass(frozen=True)
class Session:
    """What :func:`setup` fixed: pass ``session.device`` and ``session.scale`` on to the experiments."""

    seed: int
    threads: int
    device: torch.device
    scale: Recipe

    def __str__(self) -> str:
        return (f"resnet_lab {__version__} | torch {torch.__version__} | python {platform.python_version()}\n"
                f"device: {describe_device(self.device)} | CPU threads: {self.threads} | "
                f"scale: {self.scale.name} | seed: {self.seed}")


def setup(seed: int = 0, threads=None, device=None, scale=None, quiet: bool = False) -> Session:
    """Make a notebook reproducible and say where it runs.

    Seeds every generator, fixes the CPU thread count, picks the device and
    resolves the run scale (argument, else ``$RESNET_LAB_SCALE``, else
    ``classroom``), then prints one summary. A bad seed, thread count, device
    or scale is a ValueError that says what to give instead.
    """
    seed_everything(seed)  # a ValueError for a seed that is not a whole number from 0 to 2**63 - 1
    session = Session(seed=seed, threads=set_threads(threads), device=resolve_device(device), scale=get_scale(scale))
    if not quiet:
        print(session)
    return session


_REQUIRED = (("torch", "2.2"), ("torchvision", "0.17"), ("numpy", "1.24"), ("matplotlib", "3.7"),
             ("tqdm", "4.64"), ("ipywidgets", "8.0"), ("PIL", "9.0"))


@dataclass(frozen=True)
class SetupReport:
    """What :func:`check_setup` found: one row per package, and the problems to fix."""

    rows: tuple
    problems: tuple

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        lines = [f"{name:<12} {found:<22} needs >= {need:<6} {'ok' if good else 'PROBLEM'}"
                 for name, found, need, good in self.rows]
        lines += [f"problem: {p}" for p in self.problems] or ["Everything the course needs is installed."]
        return "\n".join(lines)

    _repr_pretty_ = lambda self, p, cycle: p.text(str(self))  # noqa: E731


def _version_tuple(version: str) -> tuple:
    parts = []
    for piece in version.split("+")[0].split(".")[:3]:
        digits = re.match(r"\d*", piece).group()  # the leading digits: "0rc1" is 0, not 1
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def check_setup() -> SetupReport:
    """Check that every package the course needs imports, at a version new enough."""
    rows, problems = [], []
    for name, need in _REQUIRED:
        try:
            module = importlib.import_module(name)
            found = getattr(module, "__version__", "?")
            good = _version_tuple(found) >= _version_tuple(need)
        except Exception as err:  # missing or broken install
            found, good = f"missing ({type(err).__name__})", False
        rows.append((name, found, need, good))
        if not good:
            problems.append(f"{name} {found}: run `pip install -r requirements.txt` from the course folder")
    return SetupReport(tuple(rows), tuple(problems))
