"""CIFAR-10 (Krizhevsky, 2009) in memory, from whichever copy is at hand.

:func:`load_cifar10` looks in ``root`` (argument), else ``$RESNET_LAB_DATA``, else ``~/.cache/resnet_lab/cifar10``
(:data:`DEFAULT_ROOT`), and accepts any of:

* the official release as torchvision keeps it: ``<root>/cifar-10-batches-py/`` (or the unopened
  ``<root>/cifar-10-python.tar.gz``), read with ``torchvision.datasets.CIFAR10``;
* an image-folder tree ``[top/]train/<class>/*`` and ``[top/]test/<class>/*`` (PNG or JPEG);
* a ``.tar.gz`` of such a tree, given directly or lying in ``root``.

Image folders and archives are decoded once (about 20 s per CPU core for 60,000 JPEGs) and the uint8 arrays
cached on disk (see :mod:`resnet_lab.data.cache`); later calls load the cache in about a second. When no copy
is found and the machine is online, the official release is downloaded into ``root`` (``download=True``
forces the attempt, ``download=False`` forbids it).
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import torch

from resnet_lab.data import cache
from resnet_lab.data.decode import find_tree_top, is_tar_name, read_image_folder, read_image_tar
from resnet_lab.data.errors import DataFormatError, DataNotFoundError
from resnet_lab.data.images import Images

ENV_VAR = "RESNET_LAB_DATA"
#: The official label order (also alphabetical).
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
DEFAULT_ROOT = Path("~/.cache/resnet_lab/cifar10")
OFFICIAL_FOLDER = "cifar-10-batches-py"
OFFICIAL_ARCHIVE = "cifar-10-python.tar.gz"
DOWNLOAD_HOST = "www.cs.toronto.edu"

OFFICIAL = "official CIFAR-10 (torchvision)"
KINDS = {"official": "official release (cifar-10-batches-py, read by torchvision)",
         "official archive": "official release, not yet unpacked (cifar-10-python.tar.gz)",
         "image folder": "image-folder tree (train/<class>/, test/<class>/)",
         "tar.gz": "tar archive of an image-folder tree"}


@dataclass
class CIFAR10:
    """The 50,000 training and 10,000 test images, the class names, and which copy they came from."""

    train: Images
    test: Images
    classes: Tuple[str, ...] = CLASSES
    source: str = OFFICIAL
    root: Optional[Path] = None

    def fingerprint(self) -> str:
        """A hash of every training and test image and label: equal exactly when the data are."""
        return f"{self.train.fingerprint()}{self.test.fingerprint()}"

    def __repr__(self) -> str:
        return f"CIFAR10(train={len(self.train)}, test={len(self.test)}, source={self.source!r})"


@dataclass(frozen=True)
class _Located:
    root: Path          # where we looked
    origin: str         # how root was chosen
    kind: Optional[str]  # a key of KINDS, or None when nothing is there
    path: Optional[Path]  # the folder or file that holds the data


def _choose_root(root) -> Tuple[Path, str]:
    if root is not None:
        return Path(root).expanduser(), "the root argument"
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser(), f"${ENV_VAR}"
    return DEFAULT_ROOT.expanduser(), "the default location"


def _locate(root=None) -> _Located:
    root, origin = _choose_root(root)
    found = lambda kind, path: _Located(root, origin, kind, path)  # noqa: E731
    if root.is_file():
        if root.name == OFFICIAL_ARCHIVE:
            return found("official archive", root)
        return found("tar.gz", root) if is_tar_name(root.name) else found(None, None)
    if not root.is_dir():
        return found(None, None)
    if root.name == OFFICIAL_FOLDER:
        return found("official", root.parent)
    if (root / OFFICIAL_FOLDER).is_dir():
        return found("official", root)
    if (root / OFFICIAL_ARCHIVE).is_file():
        return found("official archive", root)
    if find_tree_top(root) is not None:
        return found("image folder", find_tree_top(root))
    archives = sorted(p for p in root.iterdir() if p.is_file() and is_tar_name(p.name))
    preferred = [p for p in archives if "cifar" in p.name.lower()]
    if preferred or archives:
        return found("tar.gz", (preferred or archives)[0])
    return found(None, None)


def _online(host: str = DOWNLOAD_HOST, timeout: float = 3.0) -> bool:
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _not_found(located: _Located, reason: str = "") -> DataNotFoundError:
    return DataNotFoundError(
        f"No CIFAR-10 found at {located.root} (chosen by {located.origin}){reason}.\n"
        f"resnet_lab reads any of: a folder holding the official {OFFICIAL_FOLDER}/ (as torchvision leaves it); "
        f"an image-folder tree train/<class>/ + test/<class>/ (optionally under one top folder); "
        f"or a .tar.gz of such a tree.\n"
        f"To fix it, either put one of these at {located.root}, or point resnet_lab at your copy with "
        f"`export {ENV_VAR}=/path/to/cifar10` (or load_cifar10(root=...)); "
        f"or, on a machine with internet, run load_cifar10(download=True) to download the official release "
        f"(163 MB) into {located.root}.")


def _from_torchvision(root: Path, download: bool) -> Tuple[Images, Images]:
    # deferred: torchvision takes a second or two to import, and only the official release is read with it
    from torchvision.datasets import CIFAR10 as TorchvisionCIFAR10

    splits = []
    for train in (True, False):
        dataset = TorchvisionCIFAR10(str(root), train=train, download=download)
        images = torch.from_numpy(np.ascontiguousarray(dataset.data.transpose(0, 3, 1, 2)))
        splits.append(Images(images, torch.tensor(dataset.targets, dtype=torch.int64)))
    return splits[0], splits[1]


def _describe_copy(extensions) -> str:
    extensions = {str(e) for e in extensions}
    if extensions & {".jpg", ".jpeg"}:
        return ("CIFAR-10 JPEG copy (image folder, lossy: accuracies differ slightly from the official "
                "release)")
    return f"CIFAR-10 image-folder copy ({', '.join(sorted(e.lstrip('.').upper() for e in extensions))})"


def _decoded(located: _Located, use_cache: bool = True):
    """Arrays of an image folder or archive: from the cache when there is one, else decoded and cached."""
    target = cache.cache_file(located.path) if use_cache else None
    arrays = cache.load_arrays(target) if target is not None else None
    if arrays is None:
        reader = read_image_tar if located.kind == "tar.gz" else read_image_folder
        arrays = reader(located.path, CLASSES)
        if target is not None:
            try:
                cache.save_arrays(target, arrays)
            except OSError as err:  # a read-only home: carry on without a cache
                print(f"resnet_lab: could not write the data cache {target} ({err}); set "
                      f"${cache.CACHE_ENV_VAR} to a writable folder to decode only once.")
    return arrays


def load_cifar10(root=None, download: Optional[bool] = None, use_cache: bool = True) -> CIFAR10:
    """Load CIFAR-10 as uint8 tensors: ``.train`` (50,000) and ``.test`` (10,000) :class:`Images`.

    ``root``: a folder or ``.tar.gz`` (default ``$RESNET_LAB_DATA``, else ``~/.cache/resnet_lab/cifar10``);
    see the module docstring for the layouts accepted. ``download``: when no copy is found, download the
    official release into ``root`` through torchvision (``None``: only if the download server is reachable).
    Raises :class:`DataNotFoundError` saying where it looked and how to get the data, and
    :class:`DataFormatError` for a corrupt archive or a wrong layout.
    """
    located = _locate(root)
    if located.kind is None:
        if download is False or (download is None and not _online()):
            raise _not_found(located, "" if download is False else " and the download server is unreachable")
        try:
            train, test = _from_torchvision(located.root, download=True)
        except Exception as err:
            raise _not_found(located, f", and downloading failed ({type(err).__name__}: {err})") from err
        return CIFAR10(train, test, CLASSES, OFFICIAL, located.root)
    if located.kind in ("official", "official archive"):
        # with the archive already there torchvision checks its md5 and unpacks it, downloading nothing
        train, test = _from_torchvision(located.path, download=located.kind == "official archive")
        return CIFAR10(train, test, CLASSES, OFFICIAL, located.path)
    arrays = _decoded(located, use_cache)
    train = Images(torch.from_numpy(arrays["train_images"]), torch.from_numpy(arrays["train_labels"]))
    test = Images(torch.from_numpy(arrays["test_images"]), torch.from_numpy(arrays["test_labels"]))
    return CIFAR10(train, test, CLASSES, _describe_copy(arrays["extensions"].tolist()), located.path)


@dataclass(frozen=True)
class DataStatus:
    """Where :func:`load_cifar10` would read CIFAR-10 from, what it found there, and whether it is cached."""

    root: Path
    origin: str
    kind: Optional[str]
    path: Optional[Path]
    cache: Optional[Path] = None
    cached: bool = False
    problems: Tuple[str, ...] = field(default_factory=tuple)

    @property
    def present(self) -> bool:
        return self.kind is not None

    def __str__(self) -> str:
        lines = [f"CIFAR-10 location: {self.root} (chosen by {self.origin})"]
        if not self.present:
            lines.append(f"present: no -- put a copy there, set ${ENV_VAR}, or run load_cifar10(download=True) "
                         "on a machine with internet")
            return "\n".join(lines)
        lines.append(f"present: yes, {KINDS[self.kind]} at {self.path}")
        if self.kind in ("image folder", "tar.gz"):
            lines.append(f"decoded cache: {'yes' if self.cached else 'not yet (the first load decodes it)'}"
                         f" at {self.cache}")
        else:
            lines.append("decoded cache: not needed (torchvision reads the official files directly)")
        return "\n".join(lines)


def data_status(root=None) -> DataStatus:
    """Say where the data would be read from, whether it is there, which kind, and whether a cache exists."""
    located = _locate(root)
    target = None
    if located.kind in ("image folder", "tar.gz"):
        target = cache.cache_file(located.path)
    return DataStatus(located.root, located.origin, located.kind, located.path, target,
                      bool(target is not None and target.is_file()))
