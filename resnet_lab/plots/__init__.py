"""Every figure the course draws, one module per topic; colours and saving live in :mod:`.style`."""
from resnet_lab.plots.style import (PLAIN_COLOR, REFERENCE_COLOR, RESIDUAL_COLOR, depth_linestyle, family_color, figures_dir, save_figure)

__all__ = ["PLAIN_COLOR", "RESIDUAL_COLOR", "REFERENCE_COLOR", "family_color", "depth_linestyle",
           "figures_dir", "save_figure"]
from resnet_lab.plots.data import plot_augmentation, plot_samples  # noqa: E402

__all__ += ["plot_samples", "plot_augmentation"]
