"""The gradient-flow explorer of notebook 02: sliders for depth, shortcut, BatchNorm, init scale and lambda.

It measures a :class:`~resnet_lab.lessons.gradient_flow.stacks.Stack` (fully connected, one weight layer per
unit, so it redraws in well under a second on a CPU) with :func:`resnet_lab.gradients.measure_gradient_flow`
and draws the chosen net in bold next to the other family with the same settings, faint and dashed.

    explorer = GradientFlowExplorer()
    explorer.widget()                          # in Jupyter: the sliders and the figure
    fig = explorer.update(depth=110, residual=False, batchnorm=True)   # the same redraw, without widgets
    explorer.last_seconds                      # how long that redraw took
"""
from __future__ import annotations

import math
import time

import ipywidgets as w
import matplotlib.pyplot as plt
import torch
from IPython.display import clear_output, display

from resnet_lab.gradients import GradientFlow, measure_gradient_flow
from resnet_lab.lessons.gradient_flow.plots import draw_gradient_flow
from resnet_lab.lessons.gradient_flow.stacks import make_stack, one_thread

DEFAULTS = dict(depth=50, residual=True, batchnorm=False, init_scale=1.0, shortcut_scale=1.0)


class GradientFlowExplorer:
    """Gradient norms per unit of a plain or residual stack, redrawn for each choice of the settings."""

    def __init__(self, width: int = 64, batch_size: int = 64, in_features: int = 16, seed: int = 0):
        self.width, self.batch_size, self.in_features, self.seed = width, batch_size, in_features, seed
        generator = torch.Generator().manual_seed(seed)
        self.x = torch.randn(batch_size, in_features, generator=generator)
        self.y = torch.randn(batch_size, 1, generator=generator)
        self.last_seconds = None
        self.settings = dict(DEFAULTS)

    def measure(self, depth=50, residual=True, batchnorm=False, init_scale=1.0, shortcut_scale=1.0) -> GradientFlow:
        """Build the stack (weights fixed by the seed) and measure its gradient flow on a fixed batch."""
        stack = make_stack(int(depth), bool(residual), seed=self.seed, width=self.width,
                           in_features=self.in_features, batchnorm=bool(batchnorm), init_scale=float(init_scale),
                           shortcut_scale=float(shortcut_scale))
        family = "residual" if residual else "plain"
        with one_thread():  # 64x64 matrices: one thread is fastest, even on a busy machine
            return measure_gradient_flow(stack, self.x, self.y, label=f"{family}-{int(depth)}")

    def update(self, **settings):
        """Redraw for ``settings`` (any of depth, residual, batchnorm, init_scale, shortcut_scale); returns the Figure."""
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown setting(s) {sorted(unknown)}; the explorer takes {', '.join(DEFAULTS)}")
        start = time.perf_counter()
        self.settings.update(settings)
        s = self.settings
        chosen = self.measure(**s)
        other = self.measure(**{**s, "residual": not s["residual"]})
        fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.6))
        for ax, kind in zip(axes, ("activation", "weight")):
            draw_gradient_flow(ax, {other.label + " (other family)": other}, kind, alpha=0.45, linestyle="--",
                               legend=False)
            draw_gradient_flow(ax, {chosen.label: chosen}, kind, linestyle="-", legend=True)
        lam = f", lambda {s['shortcut_scale']:g}" if s["residual"] else ""
        overflow = "" if math.isfinite(chosen.ratio("activation")) else " (float32 overflow: it exploded)"
        fig.suptitle(f"{chosen.label}, {'with' if s['batchnorm'] else 'no'} BatchNorm, init scale "
                     f"{s['init_scale']:g}{lam}: first/last block gradient {chosen.ratio('activation'):.3g} "
                     f"(other family {other.ratio('activation'):.3g}){overflow}", fontsize=10)
        fig.tight_layout()
        self.last_seconds = time.perf_counter() - start
        return fig

    def widget(self):
        """The sliders and the figure (ipywidgets: in JupyterLab, Voila or classic Notebook)."""
        s = self.settings
        controls = dict(
            depth=w.IntSlider(value=s["depth"], min=2, max=200, step=2, description="depth (units)",
                              continuous_update=False, style={"description_width": "initial"}),
            residual=w.Checkbox(value=s["residual"], description="residual (shortcut on)"),
            batchnorm=w.Checkbox(value=s["batchnorm"], description="BatchNorm"),
            init_scale=w.FloatSlider(value=s["init_scale"], min=0.1, max=2.0, step=0.05,
                                     description="init scale (1 = He)", continuous_update=False,
                                     style={"description_width": "initial"}),
            shortcut_scale=w.FloatSlider(value=s["shortcut_scale"], min=0.5, max=1.5, step=0.01,
                                         description="shortcut scale lambda", continuous_update=False,
                                         style={"description_width": "initial"}),
        )
        out, timing = w.Output(), w.Label()

        def redraw(**values):
            fig = self.update(**values)
            with out:
                clear_output(wait=True)
                display(fig)
            plt.close(fig)
            timing.value = f"redrawn in {self.last_seconds:.2f} s"

        w.interactive_output(redraw, controls)
        panel = w.VBox([w.HBox([controls["depth"], controls["residual"], controls["batchnorm"]]),
                        w.HBox([controls["init_scale"], controls["shortcut_scale"]]), timing, out])
        return panel

