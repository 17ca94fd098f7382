"""Notebook 04, building a ResNet: ``from resnet_lab.lessons import building as lesson``.

``architecture``: shapes, parameters and multiply-adds (Table 1 regenerated), the comparison with torchvision (and a
deliberately broken copy it must catch), kernel sizes and the convolutions that resize (for the myths);
``comparison``: ImageNet's ResNet-18 with a CIFAR stem against CIFAR ResNet-56; ``plots``; ``exercises``.
"""
from resnet_lab.lessons.building.architecture import (block_cost, compare_with_torchvision, format_output_sizes,
                                                      format_stage_shapes, format_table1, kernel_sizes, multiply_adds,
                                                      print_shapes, projection_multiply_adds, randomise_batchnorm, relu_before_batchnorm,
                                                      resizing_convolutions, stage_shapes, stride_placement, table1,
                                                      trace_shapes)
from resnet_lab.lessons.building.comparison import train_or_load_comparison
from resnet_lab.lessons.building.exercises import check_bottleneck, check_v1_v15_difference, check_zero_pad_shortcut
from resnet_lab.lessons.building.plots import plot_cifar_stem_test_error, plot_stage_shapes, plot_table1
from resnet_lab.lessons.building.solutions import SOLUTIONS as solution

__all__ = ["print_shapes", "trace_shapes", "stage_shapes", "format_stage_shapes", "multiply_adds", "table1",
           "format_table1", "format_output_sizes", "block_cost", "compare_with_torchvision", "randomise_batchnorm",
           "relu_before_batchnorm", "stride_placement",
           "kernel_sizes", "resizing_convolutions",
           "train_or_load_comparison", "plot_stage_shapes", "plot_table1", "plot_cifar_stem_test_error",
           "check_bottleneck", "check_zero_pad_shortcut", "check_v1_v15_difference", "solution", "projection_multiply_adds"]
