"""Decode an image-folder tree, or a tar archive of one, into uint8 arrays.

The layout is torchvision's ``ImageFolder`` convention, one folder per class for each split::

    [top/]train/<class>/<any name>.png|.jpg      [top/]test/<class>/<any name>.png|.jpg

A tar archive (``.tar``, ``.tar.gz``, ``.tgz``) is streamed member by member and decoded in memory, never
extracted to disk. Images are ordered by class, then by file name, so a folder and an archive of it give
identical arrays.
"""
from __future__ import annotations

import io
import tarfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image

from resnet_lab.data.errors import DataFormatError

SPLITS = ("train", "test")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".webp")
TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar")


def is_image_name(name: str) -> bool:
    base = PurePosixPath(name).name
    return base.lower().endswith(IMAGE_SUFFIXES) and not base.startswith(".")


def is_tar_name(name: str) -> bool:
    return str(name).lower().endswith(TAR_SUFFIXES)


def decode_image(data, name: str, size: Tuple[int, int] = (32, 32)) -> np.ndarray:
    """Bytes (or a path) of one image -> uint8 array [H, W, 3]; a clear error names the file if it is bad."""
    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as image:
            pixels = np.asarray(image.convert("RGB"))
    except Exception as err:  # PIL raises several types (UnidentifiedImageError, OSError, SyntaxError...)
        raise DataFormatError(f"Cannot decode the image {name} ({type(err).__name__}: {err}). "
                              "The copy is damaged: replace it with a fresh one.") from err
    if pixels.shape[:2] != size:
        raise DataFormatError(f"The image {name} is {pixels.shape[1]}x{pixels.shape[0]} pixels; CIFAR-10 "
                              f"images are {size[1]}x{size[0]}. Is this the right data set?")
    return pixels


class _Collector:
    """Gathers decoded images as (split, class, file name) -> pixels and checks the layout at the end."""

    def __init__(self, classes: Sequence[str], where: str):
        self.classes = list(classes)
        self.where = where
        self.items: Dict[str, List[Tuple[int, str, np.ndarray]]] = {split: [] for split in SPLITS}
        self.extensions = set()

    def add(self, split: str, class_name: str, file_name: str, pixels: np.ndarray) -> None:
        if class_name not in self.classes:
            raise DataFormatError(
                f"{self.where}: found a folder {split}/{class_name}/, which is not a CIFAR-10 class. Expected "
                f"exactly these class folders under train/ and test/: {', '.join(self.classes)}.")
        self.items[split].append((self.classes.index(class_name), file_name, pixels))
        self.extensions.add(PurePosixPath(file_name).suffix.lower())

    def finish(self) -> Dict[str, np.ndarray]:
        arrays = {}
        for split in SPLITS:
            found = {label for label, _, _ in self.items[split]}
            missing = [name for i, name in enumerate(self.classes) if i not in found]
            if missing:
                raise DataFormatError(
                    f"{self.where}: no images in {split}/<class>/ for {', '.join(missing)}. The layout must be "
                    f"[top/]train/<class>/*.png|jpg and [top/]test/<class>/*.png|jpg with the classes "
                    f"{', '.join(self.classes)}.")
            self.items[split].sort(key=lambda item: (item[0], item[1]))
            arrays[f"{split}_images"] = np.ascontiguousarray(
                np.stack([pixels for _, _, pixels in self.items[split]]).transpose(0, 3, 1, 2))
            arrays[f"{split}_labels"] = np.array([label for label, _, _ in self.items[split]], dtype=np.int64)
        return arrays


def find_tree_top(root: Path):
    """The folder holding ``train/`` and ``test/``: ``root`` itself or its only sub-folder that has them."""
    if all((root / split).is_dir() for split in SPLITS):
        return root
    candidates = [sub for sub in sorted(root.iterdir()) if sub.is_dir() and all((sub / s).is_dir() for s in SPLITS)] \
        if root.is_dir() else []
    return candidates[0] if len(candidates) == 1 else None


def read_image_folder(root: Path, classes: Sequence[str]) -> Dict[str, np.ndarray]:
    """Decode ``[top/]train/<class>/*`` and ``[top/]test/<class>/*`` under ``root`` into uint8 arrays."""
    top = find_tree_top(root)
    if top is None:
        raise DataFormatError(f"{root} has no train/ and test/ folders (nor one sub-folder holding them).")
    collector = _Collector(classes, str(top))
    for split in SPLITS:
        for folder in sorted(p for p in (top / split).iterdir() if p.is_dir() and not p.name.startswith(".")):
            for file in sorted(folder.iterdir()):
                if file.is_file() and is_image_name(file.name):
                    collector.add(split, folder.name, file.name, decode_image(file.read_bytes(), str(file)))
    arrays = collector.finish()
    arrays["extensions"] = np.array(sorted(collector.extensions))
    return arrays


def read_image_tar(path: Path, classes: Sequence[str]) -> Dict[str, np.ndarray]:
    """Stream a tar archive of an image-folder tree and decode it in memory (nothing is extracted)."""
    collector = _Collector(classes, str(path))
    prefix = None
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                if not member.isfile() or not is_image_name(member.name):
                    continue
                parts = PurePosixPath(member.name).parts
                if len(parts) < 3 or parts[-3] not in SPLITS:
                    continue
                if prefix is None:
                    prefix = parts[:-3]
                elif parts[:-3] != prefix:
                    raise DataFormatError(f"{path} holds images under both {'/'.join(prefix) or '.'} and "
                                          f"{'/'.join(parts[:-3]) or '.'}; pack one train/ + test/ tree.")
                data = archive.extractfile(member).read()
                collector.add(parts[-3], parts[-2], parts[-1], decode_image(data, f"{path}:{member.name}"))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise DataFormatError(f"Cannot read the archive {path}: it is truncated or corrupt "
                              f"({type(err).__name__}: {err}). Copy or download it again.") from err
    if prefix is None:
        raise DataFormatError(f"{path} holds no images in [top/]train/<class>/ or [top/]test/<class>/ folders.")
    arrays = collector.finish()
    arrays["extensions"] = np.array(sorted(collector.extensions))
    return arrays
