"""Notebook 03, the 2D toy experiment: ``from resnet_lab.lessons import toy2d as lesson``.

``nets``: the rings data, plain and residual toy nets and their training; ``boundedness``: exact checks of
whether {f > 0} is bounded; ``plots``; ``explorer``: the training widget; ``exercises``: the checkers.
:func:`count_parameters` is the core's (:mod:`resnet_lab.models`).
"""
from resnet_lab.lessons.toy2d.boundedness import (SQUARES, Region, analyse_region, positive_fraction_on_circles,
                                                  region_table)
from resnet_lab.lessons.toy2d.exercises import (check_bounded_net, check_one_neuron_block, check_parameter_count,
                                                check_sample_annulus, check_width2_answer)
from resnet_lab.lessons.toy2d.solutions import SOLUTIONS as solution
from resnet_lab.lessons.toy2d.explorer import explore_toy_nets
from resnet_lab.lessons.toy2d.nets import (INNER_RADIUS, RING, PlainNet, ResidualBlock, ResidualNet, accuracy,
                                           describe, make_net, output_spread, run_experiment, sample_rings,
                                           train_nets)
from resnet_lab.lessons.toy2d.plots import (plot_accuracy_over_seeds, plot_decision_grid, plot_training_snapshots,
                                            plot_zoom_out)
from resnet_lab.models import count_parameters

__all__ = ["INNER_RADIUS", "RING", "sample_rings", "ResidualBlock", "PlainNet", "ResidualNet", "make_net",
           "describe", "count_parameters", "accuracy", "output_spread", "train_nets", "run_experiment",
           "SQUARES", "Region", "analyse_region", "positive_fraction_on_circles", "region_table",
           "plot_accuracy_over_seeds", "plot_decision_grid", "plot_zoom_out", "plot_training_snapshots",
           "explore_toy_nets", "check_sample_annulus", "check_one_neuron_block", "check_parameter_count",
           "check_bounded_net", "check_width2_answer", "solution"]
