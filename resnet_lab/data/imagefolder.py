"""ImageNet-style image folders: torchvision's standard transforms, read by a multi-worker DataLoader.

CIFAR-10 fits in memory and is augmented on the device in whole batches (:mod:`resnet_lab.data`). ImageNet
(1.28 million JPEGs of different sizes) does not: every image is decoded, cropped and resized on the CPU by
``DataLoader`` worker processes while the GPU trains on the previous batch. The layout is torchvision's
``ImageFolder`` one::

    DIR/train/<class>/*.JPEG      DIR/val/<class>/*.JPEG

and the transforms are the standard ones of torchvision's reference recipe: for training a random crop of
8%-100% of the area with aspect ratio 3/4-4/3 resized to 224 x 224 (Szegedy et al. 2015's crop; He et al. 2015,
sec. 3.4, resized the short side to a random 256-480 and cut a 224 x 224 crop) and a random horizontal flip;
for evaluation a resize of the short side to 256 and the central 224 x 224 crop; both normalised with
ImageNet's per-channel mean and standard deviation.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import List

from torch.utils.data import Dataset

#: Per-channel mean and standard deviation of ImageNet's training images (pixels scaled to [0, 1]).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
EVAL_FOLDERS = ("val", "validation", "test")


def train_transform(size: int = 224):
    """RandomResizedCrop(size), RandomHorizontalFlip, ToTensor, Normalize(ImageNet mean and std)."""
    from torchvision import transforms as T  # deferred: slow to import; only image-folder training needs it

    return T.Compose([T.RandomResizedCrop(size), T.RandomHorizontalFlip(), T.ToTensor(),
                      T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


def eval_transform(size: int = 224):
    """Resize(256) (for size 224: the short side to size * 256 / 224), CenterCrop(size), ToTensor, Normalize."""
    from torchvision import transforms as T  # deferred: slow to import; only image-folder training needs it

    return T.Compose([T.Resize(round(size * 256 / 224)), T.CenterCrop(size), T.ToTensor(),
                      T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


@dataclass
class ImageFolderData:
    """The two splits of an image-folder data set (torchvision ImageFolders) and its class names."""

    train: Dataset
    eval: Dataset
    eval_name: str
    classes: List[str]
    source: str


def load_image_folder(root, size: int = 224) -> ImageFolderData:
    """``root/train/<class>/*`` and ``root/val/<class>/*`` (or ``validation``, ``test``) as torchvision ImageFolders."""
    from torchvision.datasets import ImageFolder  # deferred: slow to import; only image-folder training needs it

    if root is None:
        raise ValueError("--data-format imagefolder needs --data DIR, a folder holding train/ and val/, each "
                         "with one sub-folder of images per class")
    if isinstance(size, bool) or not isinstance(size, int) or size < 8:
        raise ValueError(f"image size must be a whole number of pixels >= 8, got {size!r}")
    root = Path(root).expanduser()
    if not (root / "train").is_dir():
        raise FileNotFoundError(f"No {root / 'train'} folder: an image-folder data set is DIR/train/<class>/* "
                                "and DIR/val/<class>/*")
    eval_dir = next((root / name for name in EVAL_FOLDERS if (root / name).is_dir()), None)
    if eval_dir is None:
        raise FileNotFoundError(f"No {root / 'val'} folder next to {root / 'train'}: put the evaluation images in "
                                "DIR/val/<class>/*, one sub-folder per class as in train/")
    train, evaluation = ImageFolder(root / "train", train_transform(size)), ImageFolder(eval_dir, eval_transform(size))
    if evaluation.classes != train.classes:
        missing = sorted(set(train.classes) ^ set(evaluation.classes))[:5]
        raise ValueError(f"{eval_dir} and {root / 'train'} hold different class folders (e.g. {missing}); "
                         "both need the same sub-folders. ImageNet's validation images come in one flat folder: "
                         "sort them into one sub-folder per class first.")
    eval_name = "test" if eval_dir.name == "test" else "validation"
    source = (f"image folders {root}: {len(train):,} training and {len(evaluation):,} {eval_name} images, "
              f"{len(train.classes)} classes, {size} x {size} crops")
    return ImageFolderData(train, evaluation, eval_name, list(train.classes), source)


def default_workers() -> int:
    """DataLoader workers per process: the CPU cores shared among this machine's processes, at most 8."""
    per_machine = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    return max(1, min(8, (os.cpu_count() or 1) // max(1, per_machine)))
