"""ipywidgets explorers built on :mod:`resnet_lab.plots`, one module per notebook topic."""
