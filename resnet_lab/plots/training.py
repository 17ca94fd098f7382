"""Training curves drawn like He et al. (2015), Figures 1 and 6: thin lines training error, bold lines test error."""
from __future__ import annotations

import re
from typing import Dict, Optional, Sequence

import matplotlib.pyplot as plt
import numpy as np

from resnet_lab.plots.style import depth_linestyle, family_color, save_figure


def depth_of(name: str) -> int:
    """The depth in a model name (``"plain56"`` -> 56), 0 when it has none."""
    match = re.search(r"(\d+)", name)
    return int(match.group(1)) if match else 0


def moving_average(values: Sequence[float], window: int) -> np.ndarray:
    """Mean of each run of ``window`` consecutive values (the first ones average what there is so far)."""
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) == 0:
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (sums[1:] - sums[np.maximum(0, np.arange(1, len(values) + 1) - window)]) / counts


def draw_error_curves(ax, histories: Dict[str, object], smooth: Optional[int] = None, depths=None,
                      show_test: bool = True, label_suffix: str = ""):
    """Draw training error (thin, smoothed per iteration) and test error (bold, per epoch) on ``ax``."""
    depths = depths or sorted({depth_of(n) for n in histories})
    for name, history in histories.items():
        color, style = family_color(name), depth_linestyle(depth_of(name), depths)
        window = smooth or max(1, len(history.iter_error) // 40)
        iterations = np.arange(1, len(history.iter_error) + 1)
        ax.plot(iterations, moving_average(history.iter_error, window), color=color, linestyle=style, lw=0.9,
                alpha=0.8, label=f"{name}{label_suffix} train")
        if show_test:
            ax.plot(history.epoch_iteration, history.eval_error, color=color, linestyle=style, lw=2.4,
                    marker="o", ms=3.5, label=f"{name}{label_suffix} {history.eval_name}")
    ax.set_xlabel("iterations")
    ax.set_ylabel("error (%)")
    ax.grid(alpha=0.3)


def plot_error_curves(histories: Dict[str, object], title: str = "", name: str = "error_curves",
                      smooth: Optional[int] = None, ylim=None):
    """One panel: every model's training error (thin) and test error (bold) against iterations."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    draw_error_curves(ax, histories, smooth)
    if ylim:
        ax.set_ylim(*ylim)
    ax.set_title(title or "thin: training error (moving average over batches), bold: test error")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    save_figure(fig, name)
    return fig
