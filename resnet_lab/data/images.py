"""A labelled set of images held as two tensors, and class-balanced subsets of it.

CIFAR-10 is small enough to keep in memory as uint8 (60,000 x 3 x 32 x 32 bytes = 184 MB), so a data set is
just ``images`` and ``labels``. Subsets and the paper's 45k/5k validation split pick the same number of
images from every class, with a seeded generator, so every run and every notebook sees the same images.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Tuple

import torch


@dataclass
class Images:
    """``images``: uint8 tensor [N, 3, H, W] (CIFAR-10: 32 x 32); ``labels``: int64 tensor [N]."""

    images: torch.Tensor
    labels: torch.Tensor

    def __post_init__(self):
        if not isinstance(self.images, torch.Tensor) or not isinstance(self.labels, torch.Tensor):
            raise TypeError("Images(images, labels) takes two torch tensors, got "
                            f"{type(self.images).__name__} and {type(self.labels).__name__}")
        if self.images.dtype != torch.uint8 or self.images.dim() != 4:
            raise TypeError(f"images must be a uint8 tensor [N, 3, H, W], got {self.images.dtype} "
                            f"{list(self.images.shape)}; keep pixels as 0..255 bytes and call normalize() per batch")
        if self.labels.dtype != torch.int64 or self.labels.dim() != 1:
            raise TypeError(f"labels must be an int64 tensor [N], got {self.labels.dtype} {list(self.labels.shape)}")
        if len(self.images) != len(self.labels):
            raise ValueError(f"{len(self.images)} images but {len(self.labels)} labels; give one label per image")

    def __len__(self) -> int:
        return len(self.labels)

    def __repr__(self) -> str:
        return (f"Images({len(self)} images {list(self.images.shape[1:])} {self.images.dtype}, "
                f"{self.num_classes} classes, device={self.images.device.type})")

    @property
    def num_classes(self) -> int:
        return int(self.labels.max()) + 1 if len(self) else 0

    def fingerprint(self) -> str:
        """A hash of the pixels and labels (16 hex digits): equal exactly when the data are. Computed once."""
        if getattr(self, "_fingerprint", None) is None:
            digest = hashlib.blake2b(digest_size=8)
            for tensor in (self.images, self.labels):
                digest.update(str(list(tensor.shape)).encode())
                digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def class_counts(self) -> torch.Tensor:
        """How many images each class has (int64 tensor [num_classes])."""
        return torch.bincount(self.labels.cpu(), minlength=self.num_classes)

    def take(self, index: torch.Tensor) -> "Images":
        """The images at ``index`` (a tensor of positions), in that order."""
        index = index.to(self.labels.device)
        return Images(self.images[index], self.labels[index])

    def subset(self, per_class: int, seed: int = 0) -> "Images":
        """``per_class`` images of every class, chosen at random with ``seed``, kept in their original order.

        Deterministic, and nested: for the same seed, ``subset(100)`` is contained in ``subset(200)``.
        """
        chosen, _ = _per_class_split(self.labels, per_class, seed, what="subset(per_class)")
        return self.take(chosen)

    def to(self, device) -> "Images":
        """The same images and labels on ``device``."""
        return Images(self.images.to(device), self.labels.to(device))


def _per_class_split(labels: torch.Tensor, per_class: int, seed: int, what: str) -> Tuple[torch.Tensor, torch.Tensor]:
    """Positions of ``per_class`` randomly chosen examples of every class, and of all the others (both sorted)."""
    if isinstance(per_class, bool) or not isinstance(per_class, int) or per_class < 0:
        raise ValueError(f"{what}: per_class must be a whole number >= 0, got {per_class!r}")
    labels = labels.cpu()
    counts = torch.bincount(labels)
    present = counts.nonzero().flatten()
    if len(present) and per_class > int(counts[present].min()):
        smallest = int(present[counts[present].argmin()])
        raise ValueError(f"{what}: asked for {per_class} images per class, but class {smallest} has only "
                         f"{int(counts[smallest])}; ask for at most {int(counts[present].min())} per class")
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for label in present.tolist():
        members = (labels == label).nonzero().flatten()
        order = torch.randperm(len(members), generator=generator)
        chosen.append(members[order[:per_class]])
    chosen = torch.cat(chosen).sort().values if chosen else torch.zeros(0, dtype=torch.long)
    keep = torch.ones(len(labels), dtype=torch.bool)
    keep[chosen] = False
    return chosen, keep.nonzero().flatten()


def split_validation(train: Images, val_size: int = 5000, seed: int = 0) -> Tuple[Images, Images]:
    """Hold out ``val_size`` training images as a validation set, the same number from every class.

    He et al. (2015, sec. 4.2) train on 45k of CIFAR-10's 50k training images and validate on the other 5k:
    ``split_validation(data.train)`` gives exactly that split (500 per class), deterministic for a ``seed``.
    Returns ``(train_part, validation)``, disjoint, both in their original order.
    """
    if not isinstance(train, Images):
        raise TypeError(f"split_validation takes an Images, got {type(train).__name__}")
    classes = int((train.class_counts() > 0).sum())
    if isinstance(val_size, bool) or not isinstance(val_size, int) or val_size < 0 or val_size % max(classes, 1):
        raise ValueError(f"val_size must be a whole multiple of the number of classes ({classes}) so the split "
                         f"is class-balanced, got {val_size!r}")
    validation, rest = _per_class_split(train.labels, val_size // max(classes, 1), seed, what="split_validation")
    return train.take(rest), train.take(validation)
