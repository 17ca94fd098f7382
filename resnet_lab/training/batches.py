"""Batches for training, evaluation and ``bench``: one interface over two kinds of data.

- An :class:`resnet_lab.data.Images` (CIFAR-10: uint8 images that fit in memory) is held on the training device
  and cut into batches by index; crops, flips and normalisation run on whole batches, with no per-image Python
  (:class:`TensorBatches`).
- Any other torch ``Dataset`` of (image tensor, label) pairs, such as an ImageNet ``ImageFolder``, is read by a
  ``DataLoader`` with worker processes and a ``DistributedSampler`` (:class:`LoaderBatches`).

Both have ``per_epoch`` and ``epoch(epoch, steps)``, which yields ``(indices, x, y)``; the loop sees only that.
Every epoch's shuffle and crops are a pure function of the seed and the epoch, so a resumed run draws exactly
the batches an uninterrupted one would. In a process group every rank draws the same permutation and keeps its
slice of each batch, so the ranks together train on the batches of a single-process run.
"""
from __future__ import annotations

import math
from typing import Iterator, Optional, Tuple

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset

from resnet_lab.config import Recipe
from resnet_lab.data import augment, crop_and_flip, draw_crops_and_flips, normalize


def is_images(data) -> bool:
    """True for an in-memory ``Images`` (uint8 ``images`` and ``labels``), False for a torch ``Dataset``."""
    return hasattr(data, "images") and hasattr(data, "labels")


def data_size(data) -> int:
    return len(data.labels) if is_images(data) else len(data)


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """The CPU generator that shuffles and augments epoch ``epoch``: a pure function of the seed."""
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch)


def prepare_batch(images: torch.Tensor, generator: Optional[torch.Generator], augmented: bool,
                  channels_last: bool) -> torch.Tensor:
    """uint8 images on the device -> augmented (when asked), normalised float batch."""
    if augmented:
        images = augment(images, generator)
    x = normalize(images)
    return x.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


class TensorBatches:
    """The training batches of an ``Images`` held on the device, drawn with no per-image Python.

    Every epoch is a permutation drawn from :func:`epoch_generator`, cut into batches of ``batch_size``; the
    crops and flips of a whole batch are drawn from the same generator.
    """

    def __init__(self, data, recipe: Recipe, device, channels_last: bool, rank: int = 0, world: int = 1):
        self.images, self.labels = data.images.to(device), data.labels.to(device)
        self.recipe, self.device, self.channels_last = recipe, device, channels_last
        self.mine = slice(rank * recipe.batch_size // world, (rank + 1) * recipe.batch_size // world)
        self.per_epoch = len(self.labels) // recipe.batch_size

    def epoch(self, epoch: int, steps: int) -> Iterator[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Yield ``steps`` batches ``(indices, x, y)`` of epoch ``epoch`` (indices into the data set)."""
        size = self.recipe.batch_size
        generator = epoch_generator(self.recipe.seed, epoch)
        order = torch.randperm(len(self.labels), generator=generator).to(self.device)
        for step in range(steps):
            idx = order[step * size:(step + 1) * size][self.mine]
            images = self.images[idx]
            if self.recipe.augment:
                offsets, flips = draw_crops_and_flips(size, generator)
                images = crop_and_flip(images, offsets[self.mine], flips[self.mine])
            x = normalize(images)
            yield idx, (x.contiguous(memory_format=torch.channels_last) if self.channels_last else x), self.labels[idx]


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
    rank, and gives rank r every world-th example of it. The random crops are seeded from the seed, the epoch and
    the rank, so a resumed run draws the crops an uninterrupted one would.
    """

    def __init__(self, dataset: Dataset, recipe: Recipe, device, channels_last: bool, rank: int = 0,
                 world: int = 1, workers: int = 0):
        self.dataset, self.recipe, self.device, self.channels_last = dataset, recipe, device, channels_last
        self.rank, self.workers = rank, workers
        self.sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=recipe.seed,
                                          drop_last=True)
        self.batch_size = recipe.batch_size // world
        self.per_epoch = len(self.sampler) // self.batch_size

    def epoch(self, epoch: int, steps: int):
        """Yield ``steps`` batches ``(indices, x, y)`` of epoch ``epoch`` (indices into the data set)."""
        self.sampler.set_epoch(epoch)
        order = torch.tensor(list(self.sampler))
        seed = (self.recipe.seed * 1_000_003 + epoch) * 1009 + self.rank
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


def training_batches(data, recipe: Recipe, device, channels_last: bool, rank: int = 0, world: int = 1,
                     workers: int = 0):
    """The training batches of ``data``: :class:`TensorBatches` for an ``Images``, else :class:`LoaderBatches`."""
    if is_images(data):
        return TensorBatches(data, recipe, device, channels_last, rank, world)
    return LoaderBatches(data, recipe, device, channels_last, rank, world, workers)


def evaluation_batches(data, batch_size: int, device, channels_last: bool, rank: int = 0, world: int = 1,
                       workers: int = 0):
    """(x, y) batches of this rank's share of ``data``, in order, not augmented: a contiguous block of an
    ``Images``, or every world-th example of a ``Dataset``."""
    if not is_images(data):
        share = Subset(data, range(rank, len(data), world))
        for x, y in _loader(share, batch_size, device, workers):
            yield _to_device(x, y, device, channels_last)
        return
    per_rank = math.ceil(len(data.labels) / world)
    first, end = min(rank * per_rank, len(data.labels)), min((rank + 1) * per_rank, len(data.labels))
    for start in range(first, end, batch_size):
        stop = min(start + batch_size, end)
        x = prepare_batch(data.images[start:stop].to(device), None, False, channels_last)
        yield x, data.labels[start:stop].to(device)
