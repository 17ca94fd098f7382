"""Figures only notebook 06 draws: lesions, paths and loss landscapes, residual nets in the course's blue and plain
nets in its red."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import matplotlib.pyplot as plt
import numpy as np

from resnet_lab.plots.style import REFERENCE_COLOR, family_color, save_figure

CHANCE = 90.0   # the error (%) of a guess among CIFAR-10's ten classes


def plot_single_deletions(errors: Dict[str, Sequence[float]], baselines: Dict[str, float], labels: Sequence[str],
                          name: Optional[str] = "lesion_single_blocks"):
    """Error after deleting each block, one bar per block and one panel per net; downsampling blocks hatched."""
    fig, axes = plt.subplots(1, len(errors), figsize=(6.2 * len(errors), 3.4), sharey=True, squeeze=False)
    for ax, (net, values) in zip(axes[0], errors.items()):
        x = np.arange(len(values))
        down = [label.endswith("*") for label in labels]
        bars = ax.bar(x, values, color=family_color(net), width=0.8)
        for bar, is_down in zip(bars, down):
            if is_down:
                bar.set_hatch("//")
                bar.set_edgecolor("black")
        ax.axhline(baselines[net], color="black", lw=1, ls="--", label=f"nothing deleted: {baselines[net]:.1f}%")
        ax.axhline(CHANCE, color=REFERENCE_COLOR, lw=1, ls=":", label="chance: 90%")
        ax.set_xticks(x[::3], [labels[i] for i in x[::3]], fontsize=8)
        ax.set_xlabel("deleted block (stage.block; * = downsampling, hatched)")
        ax.set_title(f"{net}: one block deleted")
        ax.legend(fontsize=8, loc="lower right")
    axes[0][0].set_ylabel("test error (%)")
    axes[0][0].set_ylim(0, 100)
    fig.tight_layout()
    if name:
        save_figure(fig, name)
    return fig


def plot_random_deletions(curves: Dict[str, Dict[int, List[float]]], baselines: Dict[str, float],
                          name: Optional[str] = "lesion_k_blocks", styles: Optional[Dict[str, str]] = None,
                          live: Optional[Dict[str, Dict[int, List[float]]]] = None):
    """Error against the number k of randomly deleted blocks: the mean over draws, and each draw as a dot; the
    draws of ``live`` (computed in the notebook) as crosses."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for label, curve in curves.items():
        ks = sorted(curve)
        color = family_color(label.split()[0])
        ls = (styles or {}).get(label, "-")
        ax.plot([0] + ks, [baselines[label]] + [np.mean(curve[k]) for k in ks], color=color, ls=ls, marker="o",
                ms=3, label=f"{label} (mean of {len(curve[ks[0]])} draws)")
        for k in ks:
            ax.scatter([k] * len(curve[k]), curve[k], color=color, s=6, alpha=0.4)
    for label, points in (live or {}).items():
        ks = sorted(points)
        ax.scatter([k for k in ks for _ in points[k]], [v for k in ks for v in points[k]], marker="x", s=40,
                   color=family_color(label.split()[0]), zorder=3, label=f"{label} (computed now)")
    ax.axhline(CHANCE, color=REFERENCE_COLOR, lw=1, ls=":", label="chance: 90%")
    ax.set_xlabel("blocks deleted at random (k)")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set_ylabel("test error (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)
    fig.tight_layout()
    if name:
        save_figure(fig, name)
    return fig


def plot_paths(counts: Sequence[int], gradients, name: Optional[str] = "path_lengths"):
    """Veit et al.'s Fig. 6 for our net: how many paths of each length, the gradient one path of that length
    carries, and their product, the gradient all paths of that length carry together."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    n = len(counts) - 1
    axes[0].bar(range(n + 1), np.array(counts) / 2 ** n, color=REFERENCE_COLOR)
    axes[0].set_title(f"paths through {n} blocks")
    axes[0].set_ylabel("share of the 2^n paths")
    axes[1].semilogy(gradients.lengths, gradients.per_path, "o-", color=family_color(True), ms=3)
    axes[1].set_title("gradient of one path")
    axes[1].set_ylabel("gradient norm at the first block")
    share = np.array(gradients.share())
    axes[2].bar(gradients.lengths, share, color=family_color(True))
    low, high = gradients.effective_range(0.9)
    axes[2].axvspan(low - 0.5, high + 0.5, color=REFERENCE_COLOR, alpha=0.2, label=f"90% of it: {low} to {high}")
    axes[2].set_title("gradient of all paths of that length")
    axes[2].set_ylabel("share of the total")
    axes[2].legend(fontsize=8)
    for ax in axes:
        ax.set_xlabel("path length (residual branches on the path)")
    fig.tight_layout()
    if name:
        save_figure(fig, name)
    return fig


def plot_slices(slices: Dict[str, dict], name: Optional[str] = "loss_slices", live: Optional[Dict[str, dict]] = None):
    """f(alpha) = L(theta + alpha d) for each net, on a log axis; ``live`` points drawn on top as crosses."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for net, s in slices.items():
        ax.semilogy(s["alphas"], s["loss"], color=family_color(net), label=f"{net} (committed)")
    for net, s in (live or {}).items():
        ax.semilogy(s["alphas"], s["loss"], "x", color=family_color(net), ms=7, label=f"{net} (computed now)")
    ax.set_xlabel("alpha (step along one filter-normalised direction)")
    ax.set_ylabel("training loss (cross-entropy)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    if name:
        save_figure(fig, name)
    return fig


def plot_contours(grids: Dict[str, dict], name: Optional[str] = "loss_contours", levels: int = 20,
                  span: float = 50.0):
    """Li et al.'s 2-D contour plot for each net: the same ``levels`` log-spaced contours of the loss over
    (alpha, beta) in every panel, from the lowest loss of all the grids up to ``span`` times that (higher ground is
    left blank)."""
    fig, axes = plt.subplots(1, len(grids), figsize=(5.2 * len(grids), 4.4), squeeze=False)
    lo = min(np.min(g["loss"]) for g in grids.values())
    shared = np.geomspace(lo, lo * span, levels)
    for ax, (net, g) in zip(axes[0], grids.items()):
        loss = np.array(g["loss"])
        cs = ax.contour(g["alphas"], g["betas"], loss, levels=shared, cmap="viridis", linewidths=1)
        ax.clabel(cs, cs.levels[::4], fmt=lambda v: f"{v:.3g}", fontsize=7)
        ax.plot([0], [0], "k+", ms=10)
        ax.set_title(f"{net}: training loss (lowest {loss.min():.3g})", color=family_color(net))
        ax.set_xlabel("alpha")
        ax.set_ylabel("beta")
        ax.set_aspect("equal")
    fig.tight_layout()
    if name:
        save_figure(fig, name)
    return fig


def plot_surfaces(grids: Dict[str, dict], name: Optional[str] = "loss_surfaces"):
    """The same grids as 3-D surfaces of log10(loss)."""
    fig = plt.figure(figsize=(5.2 * len(grids), 4.2))
    for i, (net, g) in enumerate(grids.items(), start=1):
        ax = fig.add_subplot(1, len(grids), i, projection="3d")
        a, b = np.meshgrid(g["alphas"], g["betas"])
        ax.plot_surface(a, b, np.log10(np.array(g["loss"])), cmap="viridis", linewidth=0)
        ax.set_title(net, color=family_color(net))
        ax.set_xlabel("alpha")
        ax.set_ylabel("beta")
        ax.set_zlabel("log10 loss")
    fig.tight_layout()
    if name:
        save_figure(fig, name)
    return fig


