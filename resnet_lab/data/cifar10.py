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
forces the attempt, ``download=False`` forbids it). A copy that is there but damaged (an official archive of the
wrong size or md5, as an interrupted download leaves it; an incomplete ``cifar-10-batches-py/``; a ``train/``
without ``test/``; a file that is no archive) is a :class:`DataFormatError` that names the file or folder and
says what to delete or add; ``download=True`` replaces a damaged official copy. :func:`data_status` reports the
same damage without loading anything.
"""
from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import torch

from resnet_lab.data import cache
from resnet_lab.data.decode import SPLITS, find_tree_top, is_tar_name, read_image_folder, read_image_tar
from resnet_lab.data.errors import DataFormatError, DataNotFoundError
from resnet_lab.data.images import Images

ENV_VAR = "RESNET_LAB_DATA"
#: The official label order (also alphabetical).
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
DEFAULT_ROOT = Path("~/.cache/resnet_lab/cifar10")
OFFICIAL_FOLDER = "cifar-10-batches-py"
OFFICIAL_ARCHIVE = "cifar-10-python.tar.gz"
#: The official archive's size and md5 (torchvision checks the same md5), and the files it unpacks to.
OFFICIAL_ARCHIVE_BYTES = 170_498_071
OFFICIAL_ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
OFFICIAL_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
                  "batches.meta")
#: The arrays a decoded cache file holds; a file without one of them is stale and decoded again.
CACHED_ARRAYS = ("train_images", "train_labels", "test_images", "test_labels", "extensions")
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
    path: Optional[Path]  # the folder or file that holds the data (for the official kinds: torchvision's root)
    problem: Optional[str] = None  # why what was found cannot be read: damaged, incomplete, not a data set


def _choose_root(root) -> Tuple[Path, str]:
    if root is not None:
        return Path(root).expanduser(), "the root argument"
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser(), f"${ENV_VAR}"
    return DEFAULT_ROOT.expanduser(), "the default location"


def _locate(root=None) -> _Located:
    """What is at the chosen root, and whether it looks readable (cheap checks only: names and sizes)."""
    root, origin = _choose_root(root)
    found = lambda kind, path, problem=None: _Located(root, origin, kind, path, problem)  # noqa: E731
    if root.is_file():
        if root.name == OFFICIAL_ARCHIVE:
            return found("official archive", root.parent, _archive_problem(root))
        if is_tar_name(root.name):
            return found("tar.gz", root)
        return found(None, None, f"{root} is a file, but not a CIFAR-10 archive (.tar.gz, .tgz or .tar)")
    if not root.is_dir():
        return found(None, None)
    if root.name == OFFICIAL_FOLDER:
        root_folder = root.parent
    elif (root / OFFICIAL_FOLDER).is_dir():
        root_folder = root
    else:
        root_folder = None
    if root_folder is not None:
        problem = _official_folder_problem(root_folder / OFFICIAL_FOLDER)
        if problem and (root_folder / OFFICIAL_ARCHIVE).is_file() \
                and not _archive_problem(root_folder / OFFICIAL_ARCHIVE):
            return found("official archive", root_folder)  # unpacking was interrupted: unpack again
        return found("official", root_folder, problem)
    if (root / OFFICIAL_ARCHIVE).is_file():
        return found("official archive", root, _archive_problem(root / OFFICIAL_ARCHIVE))
    if find_tree_top(root) is not None:
        return found("image folder", find_tree_top(root))
    archives = sorted(p for p in root.iterdir() if p.is_file() and is_tar_name(p.name))
    preferred = [p for p in archives if "cifar" in p.name.lower()]
    if preferred or archives:
        return found("tar.gz", (preferred or archives)[0])
    return found(None, None, _half_tree_problem(root))


def _archive_problem(archive: Path, check_md5: bool = False) -> Optional[str]:
    """Why ``archive`` is not the official CIFAR-10 archive (its size, or with ``check_md5`` its md5), or None."""
    size = archive.stat().st_size
    if size != OFFICIAL_ARCHIVE_BYTES:
        return (f"{archive} is damaged: it has {size:,} bytes, the official archive {OFFICIAL_ARCHIVE_BYTES:,} "
                "(an interrupted download?)")
    if check_md5:
        digest = hashlib.md5()
        with open(archive, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != OFFICIAL_ARCHIVE_MD5:
            return (f"{archive} is damaged: its md5 is {digest.hexdigest()}, the official archive's "
                    f"{OFFICIAL_ARCHIVE_MD5}")
    return None


def _official_folder_problem(folder: Path) -> Optional[str]:
    missing = [name for name in OFFICIAL_FILES if not (folder / name).is_file()]
    if not missing:
        return None
    what = "it is empty" if len(missing) == len(OFFICIAL_FILES) else f"it lacks {', '.join(missing)}"
    return f"{folder} is incomplete: {what} (the official release holds {', '.join(OFFICIAL_FILES)})"


def _half_tree_problem(root: Path) -> Optional[str]:
    """For a folder (or its one sub-folder) with ``train/`` but no ``test/``, or the reverse: say which is missing."""
    for top in [root] + sorted(p for p in root.iterdir() if p.is_dir()):
        have = [split for split in SPLITS if (top / split).is_dir()]
        if len(have) == 1:
            missing = next(split for split in SPLITS if split not in have)
            return (f"{top / have[0]} is there but {top / missing} is missing: an image-folder copy of CIFAR-10 "
                    "needs both train/<class>/ (the 50,000 training images) and test/<class>/ (the 10,000 test "
                    "images)")
    return None


def _fix(located: _Located) -> str:
    """What to do about ``located.problem``."""
    download = "load again with download=True (python -m resnet_lab train --download)"
    if located.kind == "official archive":
        return f"Delete it (rm '{located.path / OFFICIAL_ARCHIVE}') and {download} to download it afresh"
    if located.kind == "official":
        return (f"Delete that folder (rm -r '{located.path / OFFICIAL_FOLDER}') and {download}, or copy a complete "
                "one there")
    elsewhere = f"load_cifar10(root=...) or `export {ENV_VAR}=/path/to/cifar10`"
    if located.root.is_file():
        return f"Point resnet_lab at a CIFAR-10 folder or archive instead ({elsewhere})"
    return f"Add the missing folder, or point resnet_lab at a complete copy ({elsewhere})"


def _damaged(located: _Located) -> DataFormatError:
    via = "" if located.origin == "the root argument" else f" (chosen by {located.origin})"
    return DataFormatError(f"{located.problem}{via}. {_fix(located)}.")


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
        try:
            dataset = TorchvisionCIFAR10(str(root), train=train, download=download)
        except RuntimeError as err:  # torchvision's "Dataset not found or corrupted": a file failed its md5
            raise DataFormatError(f"{root / OFFICIAL_FOLDER} is corrupt (torchvision: {err}). Delete that folder "
                                  f"(rm -r '{root / OFFICIAL_FOLDER}') and load again with download=True "
                                  "(python -m resnet_lab train --download), or copy a good one there.") from err
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
    arrays = cache.load_arrays(target, CACHED_ARRAYS) if target is not None else None
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
    official release into ``root`` through torchvision (``None``: only if the download server is reachable);
    ``True`` also deletes a damaged official archive (or repairs an incomplete ``cifar-10-batches-py/``) and
    downloads it again.
    Raises :class:`DataNotFoundError` saying where it looked and how to get the data, and
    :class:`DataFormatError` for a corrupt archive or a wrong layout.
    """
    located = _locate(root)
    if located.kind == "official archive" and located.problem is None:
        located = replace(located, problem=_archive_problem(located.path / OFFICIAL_ARCHIVE, check_md5=True))
    if located.problem is not None:
        if not (download and located.kind in ("official", "official archive")):
            raise _damaged(located)
        if located.kind == "official archive":  # torchvision would try to unpack it: download it afresh
            (located.path / OFFICIAL_ARCHIVE).unlink()
            print(f"resnet_lab: deleted the damaged {located.path / OFFICIAL_ARCHIVE}; downloading it again.")
        located = replace(located, kind=None, root=located.path)
    if located.kind is None:
        if download is False or (download is None and not _online()):
            raise _not_found(located, "" if download is False else " and the download server is unreachable")
        try:
            train, test = _from_torchvision(located.root, download=True)
        except Exception as err:
            raise _not_found(located, f", and downloading failed ({type(err).__name__}: {err})") from err
        return CIFAR10(train, test, CLASSES, OFFICIAL, located.root)
    if located.kind in ("official", "official archive"):
        # with the archive already there torchvision checks its md5 and unpacks it, downloading nothing; with
        # download=True it also replaces unpacked files that fail their md5
        train, test = _from_torchvision(located.path, download=located.kind == "official archive" or bool(download))
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
        """True when a copy that looks readable is there (a damaged one is not: see ``problems``)."""
        return self.kind is not None and not self.problems

    @property
    def damaged(self) -> bool:
        return bool(self.problems)

    def __str__(self) -> str:
        lines = [f"CIFAR-10 location: {self.root} (chosen by {self.origin})"]
        if self.damaged:
            lines += [f"present: damaged -- {problem}" for problem in self.problems]
            lines.append(f"to fix: {_fix(_Located(self.root, self.origin, self.kind, self.path))}")
            return "\n".join(lines)
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
    """Say where the data would be read from, whether it is there, which kind, whether a cache exists, and what
    is wrong with it (``problems``: a truncated archive, by its size; an incomplete folder; a file that is no
    archive). The md5 of an official archive is checked when it is loaded, not here."""
    located = _locate(root)
    target = None
    if located.kind in ("image folder", "tar.gz"):
        target = cache.cache_file(located.path)
    return DataStatus(located.root, located.origin, located.kind, located.path, target,
                      bool(target is not None and target.is_file()), (located.problem,) if located.problem else ())
