"""Figures of the 2D toy experiment (notebook 03): decision regions, zoomed-out views, accuracy over seeds."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from resnet_lab.lessons.toy2d.nets import INNER_RADIUS, RING
from resnet_lab.plots.style import REFERENCE_COLOR, family_color, save_figure

_IN_COLOR, _RING_COLOR = "#222222", "#bbbbbb"
TRUE_BOUNDARY_RADIUS = (INNER_RADIUS + RING[0]) / 2   # a circle between the disc and the ring: one true boundary
OUTER_RADIUS = RING[1]                                # the data's outer edge


def _scores_on_grid(net, half_side, n=241):
    axis = torch.linspace(-half_side, half_side, n)
    grid = torch.cartesian_prod(axis, axis)
    with torch.no_grad():
        scores = net(grid).reshape(n, n).T   # rows: y, columns: x
    return axis.numpy(), scores.numpy()


def draw_region(ax, net, half_side=3.5, points=None, labels=None, resolution=241, title=None):
    """Shade {f > 0} in the net's family colour, draw f = 0, and the data on top."""
    axis, scores = _scores_on_grid(net, half_side, resolution)
    color = family_color(net.residual)
    if (scores > 0).any():
        ax.contourf(axis, axis, scores, levels=[0, np.inf], colors=[color], alpha=0.35)
    if (scores > 0).any() and (scores <= 0).any():
        ax.contour(axis, axis, scores, levels=[0], colors=[color], linewidths=1.2)
    if points is not None:
        _draw_data(ax, points, labels, size=2)
    ax.set_xlim(-half_side, half_side)
    ax.set_ylim(-half_side, half_side)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def _draw_data(ax, points, labels, size=2):
    points, labels = np.asarray(points), np.asarray(labels)
    ax.scatter(*points[labels < 0].T, s=size, color=_RING_COLOR, linewidths=0)
    ax.scatter(*points[labels > 0].T, s=size, color=_IN_COLOR, linewidths=0)


def _draw_target(ax, points, labels, half_side):
    _draw_data(ax, points, labels, size=2)
    t = np.linspace(0, 2 * math.pi, 200)
    ax.plot(TRUE_BOUNDARY_RADIUS * np.cos(t), TRUE_BOUNDARY_RADIUS * np.sin(t), color=REFERENCE_COLOR, ls="--",
            lw=1.2)
    ax.set_xlim(-half_side, half_side)
    ax.set_ylim(-half_side, half_side)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_decision_grid(rows, points, labels, test_accuracy=None, name="toy2d_decision_regions"):
    """The experiment's figure: the data with a true boundary, then one row per family, columns by depth.

    ``rows``: ``{row title: [net of depth 1, net of depth 2, ...]}``; ``test_accuracy``: ``{net: accuracy}``.
    """
    rows = dict(rows)
    n_cols = max(len(nets) for nets in rows.values())
    fig = plt.figure(figsize=(2.0 * (n_cols + 1.3), 2.1 * len(rows) + 0.3))
    grid = fig.add_gridspec(len(rows), n_cols + 1, width_ratios=[1.3] + [1] * n_cols)
    target = fig.add_subplot(grid[:, 0])
    _draw_target(target, points, labels, 3.5)
    target.set_title("data: +1 in the disc, -1 in the ring\n(dashed: a true boundary)", fontsize=9)
    for r, (row_title, nets) in enumerate(rows.items()):
        for c, net in enumerate(nets):
            ax = fig.add_subplot(grid[r, c + 1])
            acc = "" if test_accuracy is None else f"\ntest acc {100 * test_accuracy[net]:.1f}%"
            draw_region(ax, net, points=points, labels=labels, title=f"depth {net.depth}{acc}")
            if c == 0:
                ax.set_ylabel(row_title, fontsize=9, color=family_color(net.residual))
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_zoom_out(nets, titles, half_sides=(3.5, 35, 350), name="toy2d_zoom_out"):
    """Each net's decision region in windows 10x and 100x wider than the data: does {f > 0} stay put?"""
    fig, axes = plt.subplots(len(nets), len(half_sides), figsize=(2.4 * len(half_sides), 2.4 * len(nets)),
                             squeeze=False)
    for r, (net, title) in enumerate(zip(nets, titles)):
        for c, half_side in enumerate(half_sides):
            ax = axes[r, c]
            draw_region(ax, net, half_side=half_side, resolution=301)
            ax.add_patch(plt.Circle((0, 0), OUTER_RADIUS, fill=False, color="black", lw=0.8))
            if r == 0:
                ax.set_title(f"window [-{half_side:g}, {half_side:g}]$^2$", fontsize=9)
            if c == 0:
                ax.set_ylabel(title, fontsize=9, color=family_color(net.residual))
    fig.suptitle(f"shaded: f > 0; black circle: the data's outer radius {OUTER_RADIUS:g}", fontsize=9)
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_accuracy_over_seeds(results, name="toy2d_accuracy_over_seeds"):
    """Test accuracy of every trained net (one dot per seed) against depth, one panel per model family."""
    groups = {}
    for r in results:
        groups.setdefault(r.model, []).append(r)
    fig, axes = plt.subplots(1, len(groups), figsize=(3.3 * len(groups), 3.0), sharey=True, squeeze=False)
    for ax, (model, runs) in zip(axes[0], groups.items()):
        depths = sorted({r.depth for r in runs})
        color = family_color(runs[0].residual)
        for d in depths:
            acc = [100 * r.test_accuracy for r in runs if r.depth == d]
            offsets = np.linspace(-0.15, 0.15, len(acc))
            ax.scatter(d + offsets, acc, color=color, s=14, alpha=0.8)
            ax.plot([d - 0.25, d + 0.25], [np.mean(acc)] * 2, color=color, lw=2)
        ax.set_title(model, fontsize=10, color=color)
        ax.set_xlabel("depth (hidden layers or blocks)")
        ax.set_xticks(depths)
        ax.axhline(50, color=REFERENCE_COLOR, lw=0.8, ls=":")
    axes[0, 0].set_ylabel("test accuracy (%)")
    axes[0, 0].set_ylim(40, 102)
    fig.suptitle("one dot per seed, bar = mean; dotted: 50% (one label everywhere)", fontsize=9)
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_training_snapshots(snapshots, steps, points, labels, name="toy2d_training"):
    """The decision region of one net after each of ``steps`` Adam steps (``snapshots[step]``: the net)."""
    fig, axes = plt.subplots(1, len(steps), figsize=(2.1 * len(steps), 2.4), squeeze=False)
    for ax, step in zip(axes[0], steps):
        draw_region(ax, snapshots[step], points=points, labels=labels, title=f"after {step} steps")
    fig.tight_layout()
    save_figure(fig, name)
    return fig
