"""CIFAR-10 as uint8 tensors in memory, batched augmentation on the device, and class-balanced subsets.

``from resnet_lab.data import load_cifar10, Images, normalize, augment``
"""
from .augment import MEAN, STD, augment, crop_and_flip, draw_crops_and_flips, normalize
from .cache import CACHE_ENV_VAR, cache_dir
from .cifar10 import CIFAR10, CLASSES, DEFAULT_ROOT, ENV_VAR, DataStatus, data_status, load_cifar10
from .errors import DataFormatError, DataNotFoundError
from .images import Images, split_validation

__all__ = ["MEAN", "STD", "augment", "crop_and_flip", "draw_crops_and_flips", "normalize", "CACHE_ENV_VAR",
           "cache_dir", "CIFAR10", "CLASSES", "DEFAULT_ROOT", "ENV_VAR", "DataStatus", "data_status",
           "load_cifar10", "DataFormatError", "DataNotFoundError", "Images", "split_validation"]
