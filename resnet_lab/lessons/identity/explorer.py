"""Notebook 05's explorer: signal propagation at initialisation, for any unit, normalisation, initialisation
and depth.

    explorer = SignalExplorer()
    explorer.widget()                                     # in Jupyter: the choosers and the figure
    fig = explorer.update(placement="original", batchnorm=False, init="fixup", depth=500)
    explorer.last_seconds                                 # how long that redraw took

Each redraw measures the chosen net with :func:`~resnet_lab.lessons.identity.experiments.measure_signal` (cached,
so returning to a setting is instant) and draws it in bold beside the full pre-activation net with batch norm at
the same depth, faint, as a reference.
"""
from __future__ import annotations

import time

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import clear_output, display

from resnet_lab.lessons.identity.experiments import SIGNAL_DEPTHS, measure_signal
from resnet_lab.lessons.identity.plots import plot_signal_profiles
from resnet_lab.models.units import INITS, PLACEMENTS

DEFAULTS = dict(placement="full_preact", batchnorm=True, init="he", residual=True, depth=110)


def problem(placement, batchnorm, init, residual) -> str:
    """Why a combination cannot be built (empty when it can), in the words the widget shows."""
    if init == "fixup" and batchnorm:
        return "Fixup is an initialisation for nets without batch norm: untick BatchNorm to use it."
    if not residual and init != "he":
        return (f"init '{init}' starts every residual branch at zero; without shortcuts that would cut the signal "
                "at the first unit. Choose He init for a plain net.")
    return ""


class SignalExplorer:
    """Forward and backward RMS per unit at initialisation, redrawn for each choice."""

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.settings = dict(DEFAULTS)
        self.last_seconds = None

    def update(self, **settings):
        """Redraw for ``settings`` (any of placement, batchnorm, init, residual, depth); returns the Figure, or
        None (with the reason in :attr:`message`) for a combination that cannot be built."""
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown setting(s) {sorted(unknown)}; the explorer takes {', '.join(DEFAULTS)}")
        start = time.perf_counter()
        self.settings.update(settings)
        s = self.settings
        self.message = problem(s["placement"], s["batchnorm"], s["init"], s["residual"])
        if self.message:
            self.last_seconds = time.perf_counter() - start
            return None
        chosen = measure_signal(int(s["depth"]), s["placement"], s["batchnorm"], s["init"], s["residual"],
                                seed=self.seed)
        reference = measure_signal(int(s["depth"]), seed=self.seed, label="reference: (e) full pre-activation")
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        plot_signal_profiles([reference], name=None, axes=axes)
        for line in axes[0].lines + axes[1].lines:
            line.set_alpha(0.35)
        plot_signal_profiles([chosen], name=None, axes=axes)
        fig.suptitle(f"{chosen.label}, {chosen.depth} layers: gradient ratio first/last "
                     f"{chosen.gradient_ratio:.3g}, activation growth {chosen.forward_growth:.3g}", fontsize=10)
        fig.tight_layout()
        self.last_seconds = time.perf_counter() - start
        return fig

    def widget(self):
        """The choosers and the figure (ipywidgets)."""
        s = self.settings
        wide = {"description_width": "initial"}
        controls = dict(
            placement=w.Dropdown(options=[(v, k) for k, v in PLACEMENTS.items()], value=s["placement"],
                                 description="unit", style=wide),
            batchnorm=w.Checkbox(value=s["batchnorm"], description="BatchNorm"),
            residual=w.Checkbox(value=s["residual"], description="shortcuts (residual)"),
            init=w.Dropdown(options=[(f"{k}: {v}", k) for k, v in INITS.items()], value=s["init"],
                            description="initialisation", style=wide, layout=w.Layout(width="520px")),
            depth=w.SelectionSlider(options=list(SIGNAL_DEPTHS), value=s["depth"], description="depth (layers)",
                                    continuous_update=False, style=wide),
        )
        out, status = w.Output(), w.Label()

        def redraw(**values):
            fig = self.update(**values)
            with out:
                clear_output(wait=True)
                if fig is None:
                    print(self.message)
                else:
                    display(fig)
            if fig is not None:
                plt.close(fig)
            status.value = f"redrawn in {self.last_seconds:.2f} s (a setting seen before is cached)"

        w.interactive_output(redraw, controls)
        return w.VBox([w.HBox([controls["placement"], controls["batchnorm"], controls["residual"]]),
                       w.HBox([controls["init"], controls["depth"]]), status, out])
