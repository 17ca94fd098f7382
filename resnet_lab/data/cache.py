"""Decode once, then load in a second: decoded arrays cached on disk, keyed by the copy they came from.

The cache folder is ``$RESNET_LAB_CACHE``, else ``$XDG_CACHE_HOME/resnet_lab``, else ``~/.cache/resnet_lab``.
A cache file is named after a hash of the source's resolved path, size and modification time (for a folder:
the relative path, size and modification time of every file in it), so replacing the source, or any image in
it, makes a new cache. The file contents are not read: fingerprinting the 60,000 files of CIFAR-10 takes a
fraction of a second. Files are written to a temporary name and renamed, so a crash never leaves a half-written
cache behind; a cache file that cannot be read, or lacks an array, is decoded again and overwritten.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

CACHE_ENV_VAR = "RESNET_LAB_CACHE"
FORMAT_VERSION = 1


def cache_dir() -> Path:
    """Where decoded data sets are kept."""
    if os.environ.get(CACHE_ENV_VAR):
        return Path(os.environ[CACHE_ENV_VAR]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(base).expanduser() / "resnet_lab"


def fingerprint(source: Path) -> str:
    """A short hash of what identifies this copy: its path, and the size and modification time of every file.

    For a folder, every file under it counts (names starting with ``.`` excepted, as the reader skips them), so
    an image overwritten in place, even within the same second, gives a new fingerprint. Contents are not read.
    """
    source = Path(source).resolve()
    digest = hashlib.sha256(f"v{FORMAT_VERSION}\n{source}\n".encode())
    if source.is_file():
        stat = source.stat()
        digest.update(f"{stat.st_size}\n{stat.st_mtime_ns}".encode())
    else:
        digest.update("\n".join(tree_entries(source)).encode())
    return digest.hexdigest()[:16]


def tree_entries(top: Path) -> List[str]:
    """``relative/path<TAB>size<TAB>mtime_ns`` of every file under ``top``, sorted (one ``os.scandir`` per folder)."""
    entries, stack, seen = [], [("", os.fspath(top))], set()
    while stack:
        prefix, folder = stack.pop()
        with os.scandir(folder) as listing:
            for entry in listing:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    stat = entry.stat()
                    if (stat.st_dev, stat.st_ino) not in seen:  # a symlink loop is walked once
                        seen.add((stat.st_dev, stat.st_ino))
                        stack.append((f"{prefix}{entry.name}/", entry.path))
                elif entry.is_file():
                    stat = entry.stat()
                    entries.append(f"{prefix}{entry.name}\t{stat.st_size}\t{stat.st_mtime_ns}")
    entries.sort()
    return entries


def cache_file(source: Path, name: str = "cifar10") -> Path:
    return cache_dir() / f"{name}-{fingerprint(source)}.npz"


def save_arrays(path: Path, arrays: Dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` to ``path`` (uncompressed .npz) atomically: a temporary file, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_arrays(path: Path, required: Sequence[str] = ()) -> Optional[Dict[str, np.ndarray]]:
    """The arrays in ``path``, or None when it is missing, unreadable or lacks one of ``required`` (a stale or
    foreign file: the caller decodes again and overwrites it)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not set(required) <= set(archive.files):
                return None
            return {key: archive[key] for key in archive.files}
    except Exception:  # a foreign or damaged file: ignore it, the caller decodes again and overwrites it
        return None
