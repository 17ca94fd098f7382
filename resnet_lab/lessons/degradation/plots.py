"""Figures only notebook 01 draws: plain vs residual training curves side by side (the paper's Figure 6), the
spread of final errors over seeds, and per-layer gradient norms of plain nets before and after training."""
from __future__ import annotations

from typing import Dict, Optional

import matplotlib.pyplot as plt
import numpy as np

from resnet_lab.plots.style import depth_linestyle, family_color, save_figure
from resnet_lab.plots.training import depth_of, draw_error_curves


def plot_plain_vs_residual(histories: Dict[str, object], title: str = "", name: str = "plain_vs_residual",
                           smooth: Optional[int] = None, ylim=None):
    """Two panels like the paper's Figure 6 (left: plain nets, right: residual nets) on shared axes."""
    plain = {n: h for n, h in histories.items() if n.startswith("plain")}
    residual = {n: h for n, h in histories.items() if not n.startswith("plain")}
    depths = sorted({depth_of(n) for n in histories})
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
    to output (1), so a 20-layer and a 56-layer net can be read on one axis. ``kind``: "weight" (||dE/dW||),
    "relative" (||dE/dW|| / ||W||) or "activation" (||dE/dx_l||).
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.8), sharey=True, squeeze=False)
    for ax, (panel, flows) in zip(axes[0], panels.items()):
        depths = sorted({depth_of(n) for n in flows})
        for model, flow in flows.items():
            norms = flow.relative_weight_norms() if kind == "relative" else np.asarray(flow.norms(kind))
            position = np.linspace(0, 1, len(norms))
            ax.semilogy(position, norms, color=family_color(model), linestyle=depth_linestyle(depth_of(model), depths),
                        marker=".", ms=4, label=f"{model} ({len(norms)} layers)")
        ax.set_title(panel)
        ax.set_xlabel("layer position (0 = input, 1 = output)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    what = {"weight": "||dE/dW||", "relative": "||dE/dW|| / ||W||"}.get(kind, "||dE/dx||")
    axes[0][0].set_ylabel(f"gradient norm {what} (log scale)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_seed_spread(runs: Dict[int, Dict[str, object]], key: str = "train_error", name: str = "degradation_seeds",
                     title: str = ""):
    """Per-epoch ``key`` (training error by default) of each model over several seeds: the mean as a line, the
    lowest and highest seed as a band. ``runs``: {seed: {model: History}}, every seed with the same models."""
    seeds = sorted(runs)
    models = list(runs[seeds[0]])
    depths = sorted({depth_of(m) for m in models})
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for model in models:
        curves = np.array([getattr(runs[s][model], key) for s in seeds], dtype=float)
        epochs = np.asarray(runs[seeds[0]][model].epoch)
        color, style = family_color(model), depth_linestyle(depth_of(model), depths)
        ax.fill_between(epochs, curves.min(0), curves.max(0), color=color, alpha=0.15, linewidth=0)
        ax.plot(epochs, curves.mean(0), color=color, linestyle=style, label=f"{model} (mean of {len(seeds)} seeds)")
    ax.set_xlabel("epoch")
    ax.set_xticks(epochs)   # whole epochs only
    ax.set_ylabel(("training" if key == "train_error" else "test") + " error (%)")
    ax.set_title(title or f"mean over seeds {seeds[0]}-{seeds[-1]}; band: lowest to highest seed")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, name)
    return fig
