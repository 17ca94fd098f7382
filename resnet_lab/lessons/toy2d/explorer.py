"""An explorer for notebook 03: pick width, depth, residual or plain and a seed, train, and scrub through training."""
from __future__ import annotations

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import display

from resnet_lab.lessons.toy2d import boundedness
from resnet_lab.lessons.toy2d import nets as toy2d
from resnet_lab.lessons.toy2d.plots import OUTER_RADIUS, draw_region
from resnet_lab.plots.style import family_color


def _draw(snapshots, losses, step, points, labels, test_points, test_labels):
    net = snapshots[step]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
    acc = toy2d.accuracy(net, test_points, test_labels)
    draw_region(axes[0], net, points=points, labels=labels, title=f"step {step}: test accuracy {100 * acc:.1f}%")
    draw_region(axes[1], net, half_side=60, resolution=201)
    axes[1].add_patch(plt.Circle((0, 0), OUTER_RADIUS, fill=False, color="black", lw=0.8))
    axes[1].set_title(f"zoomed out: {{f > 0}} is {boundedness.analyse_region(net).verdict}", fontsize=9)
    axes[2].plot(range(1, len(losses) + 1), losses, color=family_color(net.residual))
    axes[2].axvline(max(step, 1), color="black", lw=0.8)
    axes[2].set_xscale("log")
    axes[2].set_xlabel("Adam steps")
    axes[2].set_ylabel("training loss (logistic)")
    fig.suptitle(toy2d.model_name(net.residual, net.width) + f", depth {net.depth}, seed {net.seed}", fontsize=10)
    fig.tight_layout()
    return fig


def explore_toy_nets(points=None, labels=None, test_points=None, test_labels=None, steps=3000, frames=30):
    """Controls for width, depth, residual on/off and seed; "Train" trains one net (full-batch Adam, lr 0.01)
    keeping ``frames`` snapshots, and the step slider redraws the decision region at any of them."""
    box, controls = build_explorer(points, labels, test_points, test_labels, steps, frames)
    display(box)
    controls["train"].click()


def build_explorer(points=None, labels=None, test_points=None, test_labels=None, steps=3000, frames=30):
    """The explorer's widget box and a dict of its controls (``width``, ``depth``, ``residual``, ``seed``,
    ``steps``, ``train``, ``step``, ``output``), not yet displayed or trained."""
    if points is None:
        points, labels = toy2d.sample_rings(1000, seed=0)
    if test_points is None:
        test_points, test_labels = toy2d.sample_rings(10_000, seed=1)
    width = w.IntSlider(value=2, min=1, max=8, description="width")
    depth = w.IntSlider(value=5, min=1, max=10, description="depth")
    residual = w.ToggleButtons(options=[("plain", False), ("residual", True)], value=True, description="net")
    seed = w.IntSlider(value=0, min=0, max=20, description="seed")
    n_steps = w.IntSlider(value=steps, min=100, max=10_000, step=100, description="Adam steps")
    train = w.Button(description="Train", button_style="primary")
    step = w.SelectionSlider(options=[0], value=0, description="show step", continuous_update=False)
    out = w.Output()
    state = {}

    def redraw(*_):
        if "snapshots" not in state:
            return
        with out:
            out.clear_output(wait=True)
            fig = _draw(state["snapshots"], state["losses"], step.value, points, labels, test_points, test_labels)
            plt.show(fig)

    def run(*_):
        train.description = "training..."
        net = toy2d.make_net(width.value, depth.value, residual.value, seed.value)
        every = max(1, n_steps.value // frames)
        result = toy2d.train_nets([net], points, labels, steps=n_steps.value, snapshot_every=every)
        state["snapshots"] = {s: nets[0] for s, nets in result.snapshots.items()}
        state["losses"] = result.losses[:, 0].tolist()
        step.unobserve(redraw, "value")
        step.options = sorted(state["snapshots"])
        step.value = step.options[-1]
        step.observe(redraw, "value")
        train.description = "Train"
        redraw()

    train.on_click(run)
    step.observe(redraw, "value")
    box = w.VBox([w.HBox([width, depth, seed]), w.HBox([residual, n_steps, train]), step, out])
    return box, dict(width=width, depth=depth, residual=residual, seed=seed, steps=n_steps, train=train, step=step,
                     output=out)
