"""resnet_lab: the code behind resnet-course. Notebooks import everything from here."""
__version__ = "0.1.0"

from .scale import SCALES, Scale, get_scale
from .session import Session, default_device, seed_everything, set_threads, setup

__all__ = ["__version__", "SCALES", "Scale", "get_scale", "Session", "setup", "seed_everything",
           "set_threads", "default_device"]
