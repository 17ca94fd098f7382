"""Notebook 01, the degradation problem: ``from resnet_lab.lessons import degradation as lesson``.

``experiments``: final errors, the degradation gaps, the table beside the paper's Table 6, gradient norms;
``plots``: the figures only this notebook draws; ``exercises``: the checkers. The shared training-curve figure
(:func:`plot_error_curves`) and the data split of a recipe (:func:`split_for_scale`) come from the core.
"""
from resnet_lab.lessons.degradation.exercises import check_depth_prediction, check_is_degradation, check_seed_gaps
from resnet_lab.lessons.degradation.experiments import (DEPTH_EXERCISE_NETS, NETS, PAPER_TABLE6_TEST_ERROR, degradation_gaps, describe_nets,
                                                        estimate_batchnorm_statistics, final_errors, first_losses,
                                                        fixed_batch, gradient_flows, path_gradient_correlation,
                                                        results_table, shattering, shortcut_parameters)
from resnet_lab.lessons.degradation.plots import plot_gradient_norms_by_layer, plot_plain_vs_residual, plot_seed_spread
from resnet_lab.lessons.degradation.solutions import SOLUTIONS as solution
from resnet_lab.plots.training import plot_error_curves
from resnet_lab.runs import split_for_scale

__all__ = ["NETS", "DEPTH_EXERCISE_NETS", "PAPER_TABLE6_TEST_ERROR", "describe_nets", "shortcut_parameters", "split_for_scale", "first_losses",
           "final_errors", "degradation_gaps", "results_table", "fixed_batch", "gradient_flows",
           "estimate_batchnorm_statistics", "path_gradient_correlation", "shattering",
           "plot_error_curves", "plot_plain_vs_residual", "plot_gradient_norms_by_layer", "plot_seed_spread",
           "check_is_degradation", "check_depth_prediction", "check_seed_gaps", "solution"]
