"""Figures of the residual formula and of gradient flow (notebook 02).

Plain nets in the course's plain colour, residual nets in its residual colour, depth by line style. Every
function returns the Figure and saves it under ``figures/<name>.png``.
"""
from __future__ import annotations

import re
from typing import Dict, Mapping, Optional, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb

from resnet_lab.gradients import autocorrelation
from resnet_lab.plots.style import PLAIN_COLOR, REFERENCE_COLOR, RESIDUAL_COLOR, depth_linestyle, family_color, save_figure

_KIND_LABEL = {"activation": "||dE/dx_l|| / ||dE/dx_L||  (1 at the last block)",
               "weight": "||dE/dW|| per layer"}
_KIND_X = {"activation": "block l (input side -> output side)", "weight": "weight layer (forward order)"}


def _depth_of(label: str) -> Optional[int]:
    match = re.search(r"(\d+)", label)
    return int(match.group(1)) if match else None


def _as_groups(flows) -> Dict[str, Mapping]:
    """{label: flow} -> {"": {label: flow}}; {group: {label: flow}} stays."""
    values = list(flows.values())
    if values and isinstance(values[0], Mapping):
        return dict(flows)
    return {"": dict(flows)}


def draw_gradient_flow(ax, flows: Mapping, kind: str = "activation", normalize: Optional[bool] = None,
                       depths: Optional[Sequence[int]] = None, alpha: float = 1.0, linestyle=None,
                       legend: bool = True):
    """Draw per-layer gradient norms of ``{label: GradientFlow}`` on ``ax`` (log scale)."""
    normalize = (kind == "activation") if normalize is None else normalize
    depths = depths or sorted({d for d in map(_depth_of, flows) if d is not None}) or [0]
    for label, flow in flows.items():
        values = flow.norms(kind)
        if len(values) == 0:
            continue
        if normalize and np.isfinite(values[-1]) and values[-1] > 0:
            values = values / values[-1]
        depth = _depth_of(label)
        style = linestyle or (depth_linestyle(depth, depths) if depth in depths else "-")
        ax.plot(np.arange(1, len(values) + 1), values, color=family_color(label), linestyle=style,
                alpha=alpha, label=label, linewidth=1.6)
    ax.set_yscale("log")
    ax.set_xlabel(_KIND_X[kind])
    ax.set_ylabel(_KIND_LABEL[kind] if normalize or kind == "weight" else "||dE/dx_l||")
    if normalize:
        ax.axhline(1.0, color=REFERENCE_COLOR, linewidth=0.8, linestyle=":")
    if legend:
        ax.legend(fontsize=8)


def plot_gradient_flow(flows, kinds: Sequence[str] = ("activation", "weight"), title: str = "",
                       name: str = "gradient_flow_at_init"):
    """Per-layer gradient norms: one row per kind, one column per group.

    ``flows``: ``{label: GradientFlow}`` or ``{group title: {label: GradientFlow}}``. Labels such as
    ``"plain-56"`` / ``"resnet-56"`` set the colour (family) and the line style (depth).
    """
    groups = _as_groups(flows)
    fig, axes = plt.subplots(len(kinds), len(groups), figsize=(5.2 * len(groups), 3.4 * len(kinds)),
                             squeeze=False)
    for col, (group, group_flows) in enumerate(groups.items()):
        for row, kind in enumerate(kinds):
            ax = axes[row, col]
            draw_gradient_flow(ax, group_flows, kind, legend=(row == 0))
            if group and row == 0:
                ax.set_title(group)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, name)
    return fig


_NEAR_IDENTITY_LABELS = {"plain": "plain: H(x), random init", "residual": "residual: x + F(x), random init",
                         "plain, identity init": "plain: H(x), initialised to H(x) = x"}


def plot_near_identity_fits(curves: Mapping[str, Sequence[float]], name: str = "residual_near_identity_fit"):
    """Loss against optimisation step for the fits of a near-identity map (plain, residual, plain identity init)."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for label, losses in curves.items():
        ax.plot(losses, color=family_color(label), linestyle="--" if "identity" in label else "-",
                label=_NEAR_IDENTITY_LABELS.get(label, label))
    ax.set_yscale("log")
    ax.set_xlabel("optimisation step (full-batch Adam)")
    ax.set_ylabel("mean squared error")
    ax.set_title("Fitting H(x) = x + 0.1 tanh(x)  (5 -> 5.1)")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_jacobian_spectra(spectra: Mapping[str, Sequence[float]], linestyles: Optional[Mapping[str, str]] = None,
                          floor: float = 1e-20, name: str = "jacobian_spectra"):
    """Singular values of dx_L/dx_0 (largest first) for plain and residual stacks, log scale.

    Values below ``floor`` (zero up to rounding) are drawn at ``floor``.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    linestyles = linestyles or {}
    for label, values in spectra.items():
        values = np.maximum(np.asarray(values, float), floor)
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=2.5, color=family_color(label),
                linestyle=linestyles.get(label, "-"), label=label)
    ax.set_yscale("log")
    ax.set_xlabel("singular value index (largest first)")
    ax.set_ylabel("singular value of dx_L/dx_0")
    ax.set_title(f"Jacobian of the whole stack (values below {floor:g} drawn at {floor:g})", fontsize=10)
    ax.axhline(1.0, color=REFERENCE_COLOR, linewidth=0.8, linestyle=":")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_gradient_ratio_vs_depth(rows: Sequence[Mapping], name: str = "gradient_ratio_vs_depth"):
    """First-block / last-block activation-gradient norm against depth.

    ``rows``: dicts with ``depth``, ``residual`` (bool), ``batchnorm`` (bool), ``ratio``.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for residual in (False, True):
        for batchnorm in (False, True):
            sel = sorted((r["depth"], r["ratio"]) for r in rows
                         if r["residual"] == residual and r["batchnorm"] == batchnorm)
            if not sel:
                continue
            depth, ratio = zip(*sel)
            ax.plot(depth, ratio, color=family_color(residual), linestyle="-" if batchnorm else "--",
                    marker="o" if batchnorm else "s",
                    label=f"{'residual' if residual else 'plain'}, {'with' if batchnorm else 'no'} BatchNorm")
    ax.set_yscale("log")
    ax.axhline(1.0, color=REFERENCE_COLOR, linewidth=0.8, linestyle=":")
    ax.set_xlabel("depth (weight layers)")
    ax.set_ylabel("||dE/dx_first|| / ||dE/dx_last||")
    ax.set_title("Gradient at the first block relative to the last, at initialisation")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_shortcut_scaling(flows: Mapping[float, object], name: str = "scaled_shortcuts"):
    """Activation-gradient norms of residual stacks with shortcut x_{l+1} = lambda x_l + F, and lambda^(L-l)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    lambdas = sorted(flows)
    cmap = plt.get_cmap("coolwarm")
    for i, lam in enumerate(lambdas):
        values = flows[lam].norms("activation")
        values = values / values[-1]
        position = np.arange(1, len(values) + 1)
        color = RESIDUAL_COLOR if lam == 1.0 else cmap(i / max(1, len(lambdas) - 1))
        ax.plot(position, values, color=color, linewidth=2, label=f"lambda = {lam:g}")
        ax.plot(position, float(lam) ** (len(values) - position), color=REFERENCE_COLOR, linestyle="--",
                linewidth=0.9)
    ax.plot([], [], color=REFERENCE_COLOR, linestyle="--", label="lambda^(L - l)")
    ax.set_yscale("log")
    ax.set_xlabel("unit l (input side -> output side)")
    ax.set_ylabel("||dE/dx_l|| / ||dE/dx_L||")
    ax.set_title("Scaled shortcuts x_{l+1} = lambda x_l + F(x_l)")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_shattered_gradients(points, gradients: Mapping[str, Sequence[float]], max_lag: int = 50,
                             name: str = "shattered_gradients"):
    """Top: df/dx along a line of inputs for each net; bottom: the gradient's autocorrelation."""
    points = np.asarray(points, float).ravel()
    fig, axes = plt.subplots(2, len(gradients), figsize=(4.0 * len(gradients), 5.4), squeeze=False)
    for col, (label, grad) in enumerate(gradients.items()):
        grad = np.asarray(grad, float).ravel()
        color = family_color(label)
        axes[0, col].plot(points, grad, color=color, linewidth=0.9)
        axes[0, col].set_title(label, fontsize=10)
        axes[0, col].set_xlabel("input x")
        r = autocorrelation(grad, max_lag)
        axes[1, col].bar(np.arange(len(r)), r, color=color, width=0.8)
        axes[1, col].set_ylim(-0.5, 1.05)
        axes[1, col].set_xlabel("lag k (points)")
    axes[0, 0].set_ylabel("df/dx")
    axes[1, 0].set_ylabel("autocorrelation r(k)")
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_shattering_vs_depth(sweep: Mapping[str, Mapping[int, Sequence[float]]], lag: int = 1,
                             name: str = "shattering_vs_depth"):
    """r(lag) of df/dx against depth for plain and residual nets (mean over seeds, each seed a dot), with the
    reference curves 2^-L and 1/sqrt(L) in grey."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    all_depths = sorted({d for family in sweep.values() for d in family})
    for family, by_depth in sweep.items():
        depths = sorted(by_depth)
        color = family_color(family)
        for d in depths:
            ax.scatter([d] * len(by_depth[d]), by_depth[d], color=color, s=9, alpha=0.35)
        ax.plot(depths, [float(np.mean(by_depth[d])) for d in depths], color=color, marker="o", linewidth=1.8,
                label=f"{family} (mean over {len(by_depth[depths[0]])} seeds)")
    grid = np.geomspace(min(all_depths), max(all_depths), 200)
    ax.plot(grid, 2.0 ** -grid, color=REFERENCE_COLOR, linestyle="--", linewidth=1, label="2^-L")
    ax.plot(grid, grid ** -0.5, color=REFERENCE_COLOR, linestyle=":", linewidth=1.3, label="1/sqrt(L)")
    ax.axhline(0.0, color=REFERENCE_COLOR, linewidth=0.6)
    ax.set_xscale("log")
    ax.set_xticks(all_depths)
    ax.set_xticklabels([str(d) for d in all_depths])
    ax.set_ylim(-0.25, 1.05)
    ax.set_xlabel("depth L (units, one ReLU each)")
    ax.set_ylabel(f"autocorrelation r({lag}) of df/dx")
    ax.set_title("Neighbouring gradients along the line, at initialisation", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_training_gradients(recorders: Mapping[str, object], kind: str = "weight",
                            name: str = "gradient_flow_training"):
    """Per-layer gradient norms recorded during training, one panel per model, one line per record.

    Lines go from light (first record) to dark (last); colour is the model's family.
    """
    fig, axes = plt.subplots(1, len(recorders), figsize=(3.6 * len(recorders), 3.4), squeeze=False, sharey=True)
    for ax, (label, recorder) in zip(axes[0], recorders.items()):
        values = recorder.array(kind)
        base = np.array(to_rgb(family_color(label)))
        n = len(values)
        for i, row in enumerate(values):
            shade = 0.75 * (1 - i / max(1, n - 1))
            ax.plot(np.arange(1, len(row) + 1), row, color=base + (1 - base) * shade, linewidth=1.2,
                    label=f"iteration {recorder.iterations[i]}" if i in (0, n - 1) else None)
        ax.set_yscale("log")
        ax.set_title(label)
        ax.set_xlabel(_KIND_X[kind])
        ax.legend(fontsize=7)
    axes[0, 0].set_ylabel("||dE/dW||" if kind == "weight" else "||dE/dx_l||")
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_training_gradient_ratios(recorders: Mapping[str, object], kind: str = "activation",
                                  name: str = "gradient_ratio_training"):
    """First over last gradient norm (blocks, or weight layers) at each recorded iteration, per model."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    depths = sorted({_depth_of(k) or 0 for k in recorders})
    for label, recorder in recorders.items():
        values = recorder.array(kind)
        ax.plot(recorder.iterations, values[:, 0] / values[:, -1], color=family_color(label), marker="o",
                markersize=3, linestyle=depth_linestyle(_depth_of(label) or 0, depths), label=label)
    ax.set_yscale("log")
    ax.axhline(1.0, color=REFERENCE_COLOR, linewidth=0.8, linestyle=":")
    ax.set_xlabel("training iteration")
    ax.set_ylabel("first / last " + ("block ||dE/dx_l||" if kind == "activation" else "layer ||dE/dW||"))
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, name)
    return fig


__all__ = ["plot_gradient_flow", "draw_gradient_flow", "plot_near_identity_fits", "plot_jacobian_spectra",
           "plot_gradient_ratio_vs_depth", "plot_shortcut_scaling", "plot_shattered_gradients",
           "plot_shattering_vs_depth", "plot_training_gradients", "plot_training_gradient_ratios", "PLAIN_COLOR", "RESIDUAL_COLOR"]
