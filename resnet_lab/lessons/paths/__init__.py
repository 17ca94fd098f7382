"""Notebook 06, why deep residual nets train easily: ``from resnet_lab.lessons import paths``.

``experiments``: the trained nets (committed weights, ``python -m resnet_lab runs weights``), lesion studies and
paths (Veit et al. 2016), filter-normalised loss landscapes (Li et al. 2018), and the committed measurements
(``python -m resnet_lab measure paths``); ``plots``; ``exercises``: the checkers.
"""
from resnet_lab.lessons.paths.exercises import check_filter_normalise, check_path_counts
from resnet_lab.lessons.paths.experiments import (GROUP, K_MAX, NETS, PathGradients, TrainedNets, block_labels,
                                                  blocks_of, committed_errors, deletable_blocks, error_of,
                                                  evaluation_images, grid_axis, is_downsampling, landscape_images,
                                                  lesioned, load_measurements, loss_at, loss_grid, loss_slice, measure_small,
                                                  neighbour_swaps, nonconvex_fraction, path_gradients,
                                                  path_length_counts, random_deletions, random_direction, summarise, failed_contrasts,
                                                  single_deletions, surface_hessians, swappable_pairs, nonconvex_points,
                                                  time_per_point, trained_nets)
from resnet_lab.lessons.paths.plots import (CHANCE, plot_contours, plot_paths, plot_random_deletions,
                                            plot_single_deletions, plot_slices, plot_surfaces)
from resnet_lab.lessons.paths.solutions import SOLUTIONS as solution

__all__ = ["GROUP", "K_MAX", "NETS", "CHANCE", "PathGradients", "TrainedNets", "trained_nets", "evaluation_images",
           "landscape_images", "committed_errors", "blocks_of", "is_downsampling", "block_labels", "lesioned",
           "error_of", "single_deletions", "deletable_blocks", "random_deletions", "swappable_pairs",
           "neighbour_swaps", "path_length_counts", "path_gradients", "random_direction", "loss_at", "loss_slice", "loss_grid",
           "time_per_point", "summarise", "failed_contrasts", "grid_axis", "surface_hessians", "nonconvex_points", "nonconvex_fraction", "load_measurements", "measure_small",
           "plot_single_deletions", "plot_random_deletions", "plot_paths", "plot_slices", "plot_contours",
           "plot_surfaces", "check_path_counts", "check_filter_normalise", "solution"]
