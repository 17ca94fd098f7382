"""Training curves drawn like He et al. (2015), Figures 1 and 6: thin lines training error, bold lines test error."""
from __future__ import annotations

import re
from typing import Dict, Optional, Sequence

import matplotlib.pyplot as plt
import numpy as np

from resnet_lab.plots.style import depth_linestyle, family_color, save_figure


def _depth(name: str) -> int:
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
    depths = depths or sorted({_depth(n) for n in histories})
    for name, history in histories.items():
        color, style = family_color(name), depth_linestyle(_depth(name), depths)
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


def plot_plain_vs_residual(histories: Dict[str, object], title: str = "", name: str = "plain_vs_residual",
                           smooth: Optional[int] = None, ylim=None):
    """Two panels like the paper's Figure 6 (left: plain nets, right: residual nets) on shared axes."""
    plain = {n: h for n, h in histories.items() if n.startswith("plain")}
    residual = {n: h for n, h in histories.items() if not n.startswith("plain")}
    depths = sorted({_depth(n) for n in histories})
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, group, label in zip(axes, (plain, residual), ("plain networks", "residual networks (ResNet)")):
        draw_error_curves(ax, group, smooth, depths)
        ax.set_title(label)
        ax.legend(fontsize=8)
        if ylim:
            ax.set_ylim(*ylim)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_gradient_norms_by_layer(panels: Dict[str, Dict[str, object]], kind: str = "weight",
                                 name: str = "gradient_norms_by_layer", title: str = ""):
    """Per-layer gradient norms (log scale) against relative depth, one panel per stage of training.

    ``panels``: {panel title: {model name: GradientFlow}}. The x axis is the layer's position from input (0)
    to output (1), so a 20-layer and a 56-layer net can be read on one axis.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.8), sharey=True, squeeze=False)
    for ax, (panel, flows) in zip(axes[0], panels.items()):
        depths = sorted({_depth(n) for n in flows})
        for model, flow in flows.items():
            norms = np.asarray(flow.norms(kind))
            position = np.linspace(0, 1, len(norms))
            ax.semilogy(position, norms, color=family_color(model), linestyle=depth_linestyle(_depth(model), depths),
                        marker=".", ms=4, label=f"{model} ({len(norms)} layers)")
        ax.set_title(panel)
        ax.set_xlabel("layer position (0 = input, 1 = output)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    what = "||dE/dW||" if kind == "weight" else "||dE/dx||"
    axes[0][0].set_ylabel(f"gradient norm {what} (log scale)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, name)
    return fig
