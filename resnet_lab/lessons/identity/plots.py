"""Figures only notebook 05 draws: signal propagation per unit and against depth, the placement runs over seeds
next to the paper's Table 2, and the training loss of the nets without batch norm.

Nets with batch norm are drawn with solid lines, nets without it with dashed ones; the five placements keep one
colour each (full pre-activation in the course's residual blue), and the plain net the course's plain red.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import matplotlib.pyplot as plt
import numpy as np

from resnet_lab.models.units import PLACEMENTS
from resnet_lab.plots.style import PLAIN_COLOR, REFERENCE_COLOR, RESIDUAL_COLOR, save_figure

PLACEMENT_COLORS = {"original": "#9467bd", "bn_after_add": "#ff7f0e", "relu_before_add": "#8c564b",
                    "relu_preact": "#17becf", "full_preact": RESIDUAL_COLOR}
NO_BN_COLORS = {"plain": PLAIN_COLOR, "residual": "#e377c2", "zero_last": "#2ca02c", "skipinit": "#bcbd22",
                "fixup": "#000000"}
#: the labels of :func:`~resnet_lab.lessons.identity.experiments.signal_variants` without batch norm, by key
_NO_BN_WORDS = {"plain": "plain", "residual": "residual, He", "zero_last": "at zero", "skipinit": "SkipInit",
                "fixup": "Fixup"}


def _color(label: str, index: int) -> str:
    if label in PLACEMENT_COLORS:
        return PLACEMENT_COLORS[label]
    if label in NO_BN_COLORS:
        return NO_BN_COLORS[label]
    if "no BN" in label:
        for key, words in _NO_BN_WORDS.items():
            if words in label:
                return NO_BN_COLORS[key]
    for key, description in PLACEMENTS.items():
        if label.startswith(description) or label.startswith(key):
            return PLACEMENT_COLORS[key]
    return plt.rcParams["axes.prop_cycle"].by_key()["color"][index % 10]


def plot_signal_profiles(profiles: List, name: Optional[str] = "signal_profiles", title: str = "", axes=None):
    """Forward RMS and backward RMS after the stem and after each unit (x: unit, 0 = after the stem), log scale."""
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    else:
        fig = axes[0].figure
    for i, p in enumerate(profiles):
        style = "--" if "no BN" in p.label else "-"
        units = np.arange(len(p.forward))
        for ax, values in zip(axes, (p.forward, p.backward)):
            ax.semilogy(units, values, style, color=_color(p.label, i), label=f"{p.label} ({p.depth} layers)")
    axes[0].set_ylabel("RMS of the activations x_l")
    axes[1].set_ylabel("RMS of dE/dx_l")
    for ax, what in zip(axes, ("forward: activation scale", "backward: gradient scale")):
        ax.set_xlabel("unit l (0 = after the stem)")
        ax.set_title(what)
        ax.grid(alpha=0.3, which="both")
    axes[1].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if name:
        save_figure(fig, name)
    return fig


def plot_signal_vs_depth(results: Dict[str, List], name: str = "signal_vs_depth"):
    """Gradient ratio (first over last) and forward growth (last over first) against depth, log-log."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    for i, (label, profiles) in enumerate(results.items()):
        depths = [p.depth for p in profiles]
        style = "--" if "no BN" in label else "-"
        axes[0].loglog(depths, [p.gradient_ratio for p in profiles], style, marker="o", ms=3,
                       color=_color(label, i), label=label)
        axes[1].loglog(depths, [p.forward_growth for p in profiles], style, marker="o", ms=3, color=_color(label, i))
    axes[0].set_ylabel("RMS dE/dx after the stem / at the last unit")
    axes[1].set_ylabel("RMS x at the last unit / after the stem")
    for ax, what in zip(axes, ("backward: gradient ratio, first over last", "forward: activation growth")):
        ax.axhline(1.0, color=REFERENCE_COLOR, lw=0.8)
        ax.set_xlabel("depth (layers)")
        ax.set_title(what)
        ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.legend(*axes[0].get_legend_handles_labels(), loc="upper center", ncol=3, fontsize=8,
               bbox_to_anchor=(0.5, 0.0))
    save_figure(fig, name)
    return fig


def _smooth(values, window: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) < window:
        return values
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_placement_runs(seeds: Dict[int, Dict[str, object]], paper: Dict[str, tuple], depth: int,
                        name: str = "placements_classroom", smooth: int = 20):
    """Left: training error per iteration (mean over seeds, band from lowest to highest seed). Right: each seed's
    final test error per placement, beside the paper's Table 2 (ResNet-110 and -164, quoted)."""
    labels = list(next(iter(seeds.values())))
    fig, (left, right) = plt.subplots(1, 2, figsize=(12.5, 4.4), gridspec_kw={"width_ratios": [1.3, 1]})
    for label in labels:
        curves = np.stack([_smooth(runs[label].iter_error, smooth) for runs in seeds.values()])
        x = np.arange(curves.shape[1]) + smooth
        left.plot(x, curves.mean(0), color=PLACEMENT_COLORS[label], label=PLACEMENTS[label])
        left.fill_between(x, curves.min(0), curves.max(0), color=PLACEMENT_COLORS[label], alpha=0.12)
    left.set_xlabel("iteration")
    left.set_ylabel(f"training error, % (mean of last {smooth} batches)")
    left.set_title(f"preresnet{depth} (basic units), classroom scale, {len(seeds)} seeds: mean and range")
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    positions = np.arange(len(labels))
    for k, runs in enumerate(seeds.values()):
        right.scatter(positions - 0.15, [runs[label].final("eval_error") for label in labels], s=18,
                      color=[PLACEMENT_COLORS[label] for label in labels], label="ours, each seed" if k == 0 else None)
    right.set_ylabel("ours: final test error, %")
    right.set_xticks(positions)
    right.set_xticklabels([PLACEMENTS[label].split(" ")[0] for label in labels])
    right.set_xlabel("placement (He et al. 2016, Fig. 4)")
    twin = right.twinx()
    for j, net in enumerate(("ResNet-110", "ResNet-164")):
        twin.plot(positions + 0.15, [paper[label][j] for label in labels], marker="s^"[j], ls=":",
                  color=REFERENCE_COLOR, label=f"paper's {net} (Table 2)")
    twin.set_ylabel("paper: test error, % (full recipe)")
    right.set_title("final test errors: ours (left axis), paper's (right axis)")
    handles = right.get_legend_handles_labels()
    twin_handles = twin.get_legend_handles_labels()
    right.legend(handles[0] + twin_handles[0], handles[1] + twin_handles[1], fontsize=8, loc="upper right")
    right.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_no_bn_runs(seeds: Dict[int, Dict[str, object]], descriptions: Dict[str, str], depth: int,
                    name: str = "no_batchnorm_training", smooth: int = 10):
    """Left: training loss per iteration (log scale) of each net without batch norm, every seed; an x marks the
    iteration where a run diverged. Right: the same runs near chance, mean of ``smooth`` iterations, linear scale."""
    fig, (ax, zoom) = plt.subplots(1, 2, figsize=(13, 4.4))
    for k, runs in enumerate(seeds.values()):
        for label, history in runs.items():
            losses = np.asarray(history.iter_loss, dtype=float)
            finite = np.where(np.isfinite(losses), losses, np.nan)
            x = np.arange(1, len(losses) + 1)
            ax.semilogy(x, finite, color=NO_BN_COLORS[label], alpha=0.8, lw=1,
                        label=descriptions[label] if k == 0 else None)
            if history.diverged_at:
                last = finite[np.isfinite(finite)]
                y = last[-1] if len(last) else 1.0
                ax.plot([history.diverged_at], [y], "x", color=NO_BN_COLORS[label], ms=9, mew=2)
            if len(losses) > smooth and not history.diverged_at:
                zoom.plot(x[smooth - 1:], _smooth(finite, smooth), color=NO_BN_COLORS[label], alpha=0.8, lw=1.2,
                          label=descriptions[label] if k == 0 or label not in runs else None)
    for a in (ax, zoom):
        a.axhline(np.log(10), color=REFERENCE_COLOR, lw=0.8, ls=":", label="chance: ln 10 = 2.30")
        a.set_xlabel("iteration")
        a.grid(alpha=0.3, which="both")
    ax.set_ylabel("training loss (log scale)")
    ax.set_title(f"{depth} layers without batch norm, lr 0.1 from the first step, {len(seeds)} seeds (x: diverged)",
                 fontsize=10)
    ax.legend(fontsize=8)
    zoom.set_ylim(1.8, 2.5)
    zoom.set_ylabel(f"training loss, mean of {smooth} iterations")
    zoom.set_title("the runs that did not diverge, near chance", fontsize=10)
    handles, labels = zoom.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    zoom.legend(unique.values(), unique.keys(), fontsize=8)
    fig.tight_layout()
    save_figure(fig, name)
    return fig
