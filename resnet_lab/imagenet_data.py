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
from typing import List, Optional

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset

#: Per-channel mean and standard deviation of ImageNet's training images (pixels scaled to [0, 1]).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
EVAL_FOLDERS = ("val", "validation", "test")


def train_transform(size: int = 224):
    """RandomResizedCrop(size), RandomHorizontalFlip, ToTensor, Normalize(ImageNet mean and std)."""
    from torchvision import transforms as T

    return T.Compose([T.RandomResizedCrop(size), T.RandomHorizontalFlip(), T.ToTensor(),
                      T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


def eval_transform(size: int = 224):
    """Resize(256) (for size 224: the short side to size * 256 / 224), CenterCrop(size), ToTensor, Normalize."""
    from torchvision import transforms as T

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
    from torchvision.datasets import ImageFolder

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


def imagenet_config(**overrides):
    """He et al.'s ImageNet recipe as torchvision's reference scripts run it: SGD with momentum 0.9, weight decay
    1e-4, batch 256, lr 0.1 divided by 10 after 30 and 60 of 90 epochs. ``overrides`` change any field."""
    from .train import TrainConfig

    values = dict(epochs=90, batch_size=256, lr=0.1, momentum=0.9, weight_decay=1e-4, milestones=(1 / 3, 2 / 3),
                  eval_batch_size=250)
    if overrides.get("iterations") is not None:
        values.pop("epochs")
    values.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**values)


def default_workers() -> int:
    """DataLoader workers per process: the CPU cores shared among this machine's processes, at most 8."""
    per_machine = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    return max(1, min(8, (os.cpu_count() or 1) // max(1, per_machine)))


def _loader(dataset: Dataset, batch_size: int, device, workers: int, sampler=None,
            generator: Optional[torch.Generator] = None, drop_last: bool = False) -> DataLoader:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"workers must be a whole number >= 0 (0: load in the training process), got {workers!r}")
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
                      pin_memory=torch.device(device).type == "cuda", drop_last=drop_last, generator=generator)


def _to_device(x: torch.Tensor, y: torch.Tensor, device, channels_last: bool):
    x = x.to(device, non_blocking=True)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, y.to(device, non_blocking=True)


class LoaderBatches:
    """The training batches of a torch ``Dataset``: a ``DataLoader`` over a ``DistributedSampler``.

    The sampler shuffles with the run's seed and the epoch number (``set_epoch``), the same permutation on every
    rank, and gives rank r every world-th example of it, so the ranks share each epoch without overlap. The random
    crops are seeded from the seed, the epoch and the rank, so a resumed run draws the crops an uninterrupted one
    would.
    """

    def __init__(self, dataset: Dataset, config, device, channels_last: bool, rank: int = 0, world: int = 1,
                 workers: int = 0):
        self.dataset, self.config, self.device, self.channels_last = dataset, config, device, channels_last
        self.rank, self.workers = rank, workers
        self.sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=config.seed,
                                          drop_last=True)
        self.batch_size = config.batch_size // world
        self.per_epoch = len(self.sampler) // self.batch_size

    def epoch(self, epoch: int, steps: int):
        """Yield ``steps`` batches ``(indices, x, y)`` of epoch ``epoch`` (indices into the data set)."""
        self.sampler.set_epoch(epoch)
        order = torch.tensor(list(self.sampler))
        seed = (self.config.seed * 1_000_003 + epoch) * 1009 + self.rank
        generator = torch.Generator().manual_seed(seed)  # seeds the workers' random crops
        if self.workers == 0:
            torch.manual_seed(seed)  # the crops are drawn here, from torch's global generator
        loader = _loader(self.dataset, self.batch_size, self.device, self.workers, self.sampler, generator,
                         drop_last=True)
        batches = iter(loader)
        try:
            for step in range(steps):
                x, y = next(batches)
                idx = order[step * self.batch_size:(step + 1) * self.batch_size]
                yield (idx, *_to_device(x, y, self.device, self.channels_last))
        finally:
            del batches  # shuts the workers down, also when the epoch stops early


def loader_evaluation_batches(dataset: Dataset, batch_size: int, device, channels_last: bool, rank: int = 0,
                              world: int = 1, workers: int = 0):
    """(x, y) batches of this rank's share (every world-th example, from ``rank``) of ``dataset``, in order."""
    share = Subset(dataset, range(rank, len(dataset), world))
    for x, y in _loader(share, batch_size, device, workers):
        yield _to_device(x, y, device, channels_last)
