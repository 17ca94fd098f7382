"""The explorers of notebook 02.

:class:`GradientFlowExplorer`: sliders for depth, shortcut, BatchNorm, init scale and lambda, at initialisation.

It measures a :class:`~resnet_lab.lessons.gradient_flow.stacks.Stack` (fully connected, one weight layer per
unit, so it redraws in well under a second on a CPU) with :func:`resnet_lab.gradients.measure_gradient_flow`
and draws the chosen net in bold next to the other family with the same settings, faint and dashed.

    explorer = GradientFlowExplorer()
    explorer.widget()                          # in Jupyter: the sliders and the figure
    fig = explorer.update(depth=110, residual=False, batchnorm=True)   # the same redraw, without widgets
    explorer.last_seconds                      # how long that redraw took

:class:`TrainingGradientExplorer`: recorded training runs (``{model: GradientRecorder}``, e.g. the committed
records of ``python -m resnet_lab runs gradient_flow``), a slider over the recorded iterations and a chooser of
the kind (weight or block gradients) and of the models; the chosen iteration is drawn in bold, iteration 0 faint.

    scrubber = TrainingGradientExplorer(records)
    fig = scrubber.show()                      # the widget, plus a static figure (for a page without a kernel)
    fig = scrubber.update(iteration=200, kind="activation", models=["plain56", "resnet56"])
"""
from __future__ import annotations

import math
import time
from typing import Mapping, Optional, Sequence

import ipywidgets as w
import matplotlib.pyplot as plt
import torch
from IPython.display import clear_output, display

from resnet_lab.gradients import GradientFlow, GradientRecorder, measure_gradient_flow
from resnet_lab.lessons.gradient_flow.plots import draw_gradient_flow
from resnet_lab.lessons.gradient_flow.stacks import make_stack, one_thread
from resnet_lab.plots.style import save_figure

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



KINDS = {"weight": "||dE/dW|| per weight layer", "activation": "||dE/dx_l|| per block / last block"}


class TrainingGradientExplorer:
    """Per-layer gradient norms of several recorded training runs at one recorded iteration at a time.

    ``records``: ``{model name: GradientRecorder}`` (names such as ``"plain56"`` set colour and line style). The
    slider offers the iterations every model recorded. The y-axis of each kind is fixed over all iterations, so
    moving the slider compares like with like.
    """

    def __init__(self, records: Mapping[str, GradientRecorder]):
        if not isinstance(records, Mapping) or not records:
            raise ValueError("TrainingGradientExplorer needs {model name: GradientRecorder} with at least one model; "
                             "make records with train_and_record or load them with runs.load_committed_records")
        for name, recorder in records.items():
            if not isinstance(recorder, GradientRecorder) or not recorder.iterations:
                raise ValueError(f"{name!r}: expected a GradientRecorder with at least one record, got {recorder!r}")
        self.records = dict(records)
        common = set.intersection(*(set(r.iterations) for r in self.records.values()))
        if not common:
            raise ValueError("the models share no recorded iteration: "
                             + "; ".join(f"{m}: {r.iterations[:3]}..." for m, r in self.records.items()))
        self.iterations = sorted(common)
        self.settings = dict(iteration=self.iterations[0], kind="weight", models=tuple(self.records))
        self.limits = {kind: self._limits(kind) for kind in KINDS}
        self.last_seconds = None

    def values(self, model: str, iteration: int, kind: str = "weight"):
        """The norms ``model`` recorded at ``iteration`` (for "activation": divided by the last block's)."""
        recorder = self.records[model]
        row = recorder.array(kind)[recorder.iterations.index(iteration)]
        return row / row[-1] if kind == "activation" and math.isfinite(row[-1]) and row[-1] > 0 else row

    def _limits(self, kind):
        found = [v for m, r in self.records.items() for it in self.iterations for v in self.values(m, it, kind)
                 if math.isfinite(v) and v > 0]
        if not found:
            return None
        low, high = min(found), max(found)
        return low / 2, high * 2

    def _check(self, iteration, kind, models):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if iteration not in self.iterations:
            near = min(self.iterations, key=lambda it: abs(it - iteration)) if isinstance(iteration, int) else None
            raise ValueError(f"iteration {iteration!r} was not recorded by every model"
                             + (f"; the nearest recorded one is {near}" if near is not None else "")
                             + f" (recorded: {self.iterations[0]} to {self.iterations[-1]})")
        unknown = [m for m in models if m not in self.records]
        if unknown or not models:
            raise ValueError(f"models must be some of {', '.join(self.records)}, got {list(models)}")

    def update(self, iteration: Optional[int] = None, kind: Optional[str] = None,
               models: Optional[Sequence[str]] = None):
        """Draw the chosen models at ``iteration`` (bold) and at the first recorded iteration (faint, dashed)."""
        start = time.perf_counter()
        s = self.settings
        iteration = s["iteration"] if iteration is None else iteration
        kind = s["kind"] if kind is None else kind
        models = tuple(s["models"] if models is None else models)
        self._check(iteration, kind, models)
        s.update(iteration=iteration, kind=kind, models=models)
        first = self.iterations[0]
        flows = {m: self.records[m].flow(self.records[m].iterations.index(iteration)) for m in models}
        fig, ax = plt.subplots(figsize=(7.5, 3.8))
        if iteration != first:
            start_flows = {m: self.records[m].flow(self.records[m].iterations.index(first)) for m in models}
            draw_gradient_flow(ax, start_flows, kind, alpha=0.3, linestyle="--", legend=False)
            for line in ax.lines:
                line.set_label("_nolegend_")      # the legend names the bold lines only
        draw_gradient_flow(ax, flows, kind, legend=True)
        if self.limits[kind] is not None:
            ax.set_ylim(*self.limits[kind])
        faint = f" (faint dashed: iteration {first})" if iteration != first else ""
        ax.set_title(f"{KINDS[kind]} at training iteration {iteration}{faint}", fontsize=10)
        fig.tight_layout()
        self.last_seconds = time.perf_counter() - start
        return fig

    def widget(self):
        """A slider over the recorded iterations, the kind, the models, and the figure (ipywidgets)."""
        s = self.settings
        controls = dict(
            iteration=w.SelectionSlider(options=self.iterations, value=s["iteration"], description="iteration",
                                        continuous_update=False),
            kind=w.ToggleButtons(options=list(KINDS), value=s["kind"], description="gradient of"),
            models=w.SelectMultiple(options=list(self.records), value=tuple(s["models"]), description="models",
                                    rows=min(6, len(self.records))),
        )
        out = w.Output()

        def redraw(iteration, kind, models):
            if not models:
                return
            fig = self.update(iteration=iteration, kind=kind, models=models)
            with out:
                clear_output(wait=True)
                display(fig)
            plt.close(fig)

        w.interactive_output(redraw, controls)
        return w.VBox([controls["iteration"], w.HBox([controls["kind"], controls["models"]]), out])

    def show(self, iteration: Optional[int] = None, kind: Optional[str] = None,
             name: str = "gradient_flow_training_explorer"):
        """Display the widget, and return a static figure of ``iteration`` (default: the middle recorded one),
        saved as ``figures/<name>.png`` when figures are being saved.

        With a live kernel the widget redraws; on a page without one (GitHub, nbviewer, a test run) the static
        figure is what the reader sees.
        """
        iteration = self.iterations[len(self.iterations) // 2] if iteration is None else iteration
        kind = self.settings["kind"] if kind is None else kind
        self._check(iteration, kind, self.settings["models"])   # a wrong choice fails before anything is shown
        self.settings.update(iteration=iteration, kind=kind)      # the widget starts where the static figure is
        display(self.widget())
        fig = self.update(iteration=iteration, kind=kind)
        save_figure(fig, name)
        return fig
