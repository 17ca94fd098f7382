"""One look for every figure of the course.

Plain nets are always drawn in one colour and residual nets in another, in
every notebook; depth is shown by line style. Every figure a notebook shows
goes through :func:`save_figure` with a stable name, and is written to
``figures/`` when the notebooks are regenerated on purpose.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

PLAIN_COLOR = "#d62728"      # red: plain nets, everywhere in the course
RESIDUAL_COLOR = "#1f77b4"   # blue: residual nets, everywhere in the course
REFERENCE_COLOR = "#7f7f7f"  # grey: published numbers and references
FIGURES_ENV_VAR = "RESNET_LAB_FIGURES"

_DEPTH_STYLES = ["-", "--", "-.", ":"]


def family_color(name_or_residual) -> str:
    """Colour for a model family: pass ``True``/``False`` (residual or not) or a model name."""
    if isinstance(name_or_residual, str):
        residual = not name_or_residual.lower().startswith("plain")
    else:
        residual = bool(name_or_residual)
    return RESIDUAL_COLOR if residual else PLAIN_COLOR


def depth_linestyle(depth: int, depths=(20, 32, 44, 56)) -> str:
    """Line style for a depth: the shallowest of ``depths`` solid, deeper ones dashed, dash-dotted, dotted."""
    depths = sorted(depths)
    index = depths.index(depth) if depth in depths else sum(d < depth for d in depths)
    return _DEPTH_STYLES[min(index, len(_DEPTH_STYLES) - 1)]


def figures_dir() -> Optional[Path]:
    """Where :func:`save_figure` writes: ``$RESNET_LAB_FIGURES`` when set, else nowhere (None).

    ``python -m resnet_lab notebooks`` sets it to the checkout's ``figures/`` when it regenerates the notebooks on
    purpose; a learner running a notebook, and the tests, leave the committed figures alone.
    """
    return Path(os.environ[FIGURES_ENV_VAR]) if os.environ.get(FIGURES_ENV_VAR) else None


def save_figure(fig, name: str, dpi: int = 120) -> Optional[Path]:
    """Save ``fig`` as ``<figures_dir()>/<name>.png`` and return the path; None when figures are not being saved.

    Metadata that changes from run to run (the Matplotlib version stamp) is left out, so regenerating a notebook
    rewrites a figure only when it changed.
    """
    if not isinstance(name, str) or not name or "/" in name or name.endswith(".png"):
        raise ValueError(f"save_figure wants a bare stable name such as 'degradation', got {name!r}")
    out = figures_dir()
    if out is None:
        return None
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return path
