"""CIFAR-10 as uint8 tensors in memory, batched augmentation on the device, and class-balanced subsets.

``from resnet_lab.data import load_cifar10, Images, normalize, augment``
"""
from resnet_lab.data.augment import MEAN, STD, augment, crop_and_flip, draw_crops_and_flips, normalize
from resnet_lab.data.cache import CACHE_ENV_VAR, cache_dir
from resnet_lab.data.cifar10 import CIFAR10, CLASSES, DEFAULT_ROOT, ENV_VAR, DataStatus, data_status, load_cifar10
from resnet_lab.data.errors import DataFormatError, DataNotFoundError
from resnet_lab.data.images import Images, split_validation

__all__ = ["MEAN", "STD", "augment", "crop_and_flip", "draw_crops_and_flips", "normalize", "CACHE_ENV_VAR",
           "cache_dir", "CIFAR10", "CLASSES", "DEFAULT_ROOT", "ENV_VAR", "DataStatus", "data_status",
           "load_cifar10", "DataFormatError", "DataNotFoundError", "Images", "split_validation"]
