"""Notebook 02, the residual formula and gradient flow: ``from resnet_lab.lessons import gradient_flow as lesson``.

``stacks``: small plain and residual stacks; ``residual_formula``: the unrolled sum and its gradient, checked
numerically, and the near-identity fits; ``experiments``: the gradient-flow measurements; ``plots``; ``explorer``:
the slider widgets (at initialisation, and over recorded training runs); ``exercises``: the checkers. From the
core: :func:`autocorrelation` (:mod:`resnet_lab.gradients`) and the recorded training runs,
:func:`train_and_record` and :func:`load_records` (:mod:`resnet_lab.runs`).
"""
from resnet_lab.gradients import autocorrelation
from resnet_lab.lessons.gradient_flow.exercises import (check_autocorrelation, check_first_lag_below,
                                                        check_residual_unit, check_scaled_shortcut_prediction)
from resnet_lab.lessons.gradient_flow.experiments import (PROBE_EVERY, PROBE_MODELS, group_by_batchnorm, probe_recipe, measure_cifar_nets, probe_learning_rates,
                                                          ratio_rows, scaled_shortcut_flows, shattered_gradients,
                                                          shattering_vs_depth)
from resnet_lab.lessons.gradient_flow.explorer import GradientFlowExplorer, TrainingGradientExplorer
from resnet_lab.lessons.gradient_flow.plots import (plot_gradient_flow, plot_gradient_ratio_vs_depth,
                                                    plot_jacobian_spectra, plot_near_identity_fits,
                                                    plot_shattered_gradients, plot_shattering_vs_depth,
                                                    plot_shortcut_scaling, plot_training_gradient_ratios,
                                                    plot_training_gradients)
from resnet_lab.lessons.gradient_flow.residual_formula import (check_gradient_identity, compare_near_identity_fits,
                                                               end_to_end_jacobian, initialise_to_identity,
                                                               jacobian_summary, steps_to_reach,
                                                               unrolled_sum_difference)
from resnet_lab.lessons.gradient_flow.solutions import SOLUTIONS as solution
from resnet_lab.lessons.gradient_flow.stacks import Stack, make_stack
from resnet_lab.runs import load_records, train_and_record

__all__ = ["PROBE_MODELS", "PROBE_EVERY", "probe_recipe", "make_stack", "Stack", "compare_near_identity_fits", "initialise_to_identity", "steps_to_reach",
           "unrolled_sum_difference", "check_gradient_identity", "end_to_end_jacobian", "jacobian_summary",
           "measure_cifar_nets", "group_by_batchnorm", "ratio_rows", "scaled_shortcut_flows", "shattered_gradients",
           "shattering_vs_depth", "probe_learning_rates", "autocorrelation", "GradientFlowExplorer",
           "TrainingGradientExplorer", "train_and_record", "load_records", "plot_near_identity_fits",
           "plot_jacobian_spectra", "plot_gradient_flow", "plot_gradient_ratio_vs_depth", "plot_shortcut_scaling",
           "plot_shattered_gradients", "plot_shattering_vs_depth", "plot_training_gradients",
           "plot_training_gradient_ratios", "check_residual_unit", "check_scaled_shortcut_prediction",
           "check_autocorrelation", "check_first_lag_below", "solution"]
