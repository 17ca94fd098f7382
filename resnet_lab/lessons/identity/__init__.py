"""Notebook 05, identity mappings: ``from resnet_lab.lessons import identity``.

``experiments``: the unrolled formula measured on real units, signal propagation at initialisation, and reading
the committed runs (``python -m resnet_lab runs placements`` and ``... runs no_batchnorm``); ``plots``;
``explorer``: the signal-propagation widget; ``exercises``: the checkers. The units themselves are in the core,
:mod:`resnet_lab.models.units` (``get_model("preresnet110", placement=..., init=..., batchnorm=...)``).
"""
from resnet_lab.lessons.identity.exercises import check_fixup_factor, check_formula_gradient, check_preact_unit
from resnet_lab.lessons.identity.experiments import (NO_BN_DESCRIPTIONS, PAPER_TABLE2,
                                                     LIVE_NO_BN, LIVE_PLACEMENTS, live_no_bn_recipe,
                                                     train_live_runs, SIGNAL_DEPTHS, FormulaCheck, SignalProfile,
                                                     check_all_placements, check_unrolled_formula, divergence_table,
                                                     final_errors, load_seeds, measure_signal, no_bn_options,
                                                     placement_margins, signal_variants,
                                                     signal_vs_depth)
from resnet_lab.lessons.identity.explorer import SignalExplorer
from resnet_lab.lessons.identity.plots import (plot_no_bn_runs, plot_placement_runs, plot_signal_profiles,
                                               plot_signal_vs_depth)
from resnet_lab.lessons.identity.solutions import SOLUTIONS as solution

__all__ = ["LIVE_PLACEMENTS", "LIVE_NO_BN", "live_no_bn_recipe", "train_live_runs", "PAPER_TABLE2", "NO_BN_DESCRIPTIONS", "SIGNAL_DEPTHS",
           "FormulaCheck", "SignalProfile", "check_unrolled_formula", "check_all_placements", "measure_signal",
           "signal_variants", "signal_vs_depth", "no_bn_options", "load_seeds", "final_errors",
           "divergence_table", "placement_margins", "SignalExplorer", "plot_signal_profiles", "plot_signal_vs_depth",
           "plot_placement_runs", "plot_no_bn_runs", "check_preact_unit", "check_formula_gradient",
           "check_fixup_factor", "solution"]
