"""Decode once, then load in a second: decoded arrays cached on disk, keyed by the copy they came from.

The cache folder is ``$RESNET_LAB_CACHE``, else ``$XDG_CACHE_HOME/resnet_lab``, else ``~/.cache/resnet_lab``.
A cache file is named after a hash of the source's resolved path, size and modification time (for a folder:
the modification times of its class folders), so replacing the source makes a new cache. Files are written
to a temporary name and renamed, so a crash never leaves a half-written cache behind.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Dict, Optional

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
    """A short hash of what identifies this copy: path, size and modification time(s)."""
    source = Path(source).resolve()
    parts = [f"v{FORMAT_VERSION}", str(source)]
    if source.is_file():
        stat = source.stat()
        parts += [str(stat.st_size), str(stat.st_mtime_ns)]
    else:  # a folder tree: adding, removing or renaming an image changes its class folder's mtime
        for folder in sorted(source.glob("**/")):
            parts.append(f"{folder.relative_to(source)}:{folder.stat().st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


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


def load_arrays(path: Path) -> Optional[Dict[str, np.ndarray]]:
    """The arrays in ``path``, or None when it is missing or unreadable (it will then be rebuilt)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except Exception:  # a foreign or damaged file: ignore it, the caller decodes again and overwrites it
        return None
