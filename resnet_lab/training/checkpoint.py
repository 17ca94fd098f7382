"""Checkpoints: written atomically every epoch, read without unpickling code, restored exactly."""
from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Tuple

import torch

from resnet_lab.config import Recipe
from resnet_lab.training.history import History

CHECKPOINT = "checkpoint.pt"
HISTORY = "history.json"


def save_checkpoint(path, model, optimizer, iteration: int, history: History) -> Path:
    """Write a checkpoint atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "iteration": iteration,
        "history": history.to_dict(),
        "rng": {"torch": torch.get_rng_state(), "python": random.getstate(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []},
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path, map_location="cpu") -> dict:
    """Read a checkpoint with ``weights_only=True`` (no arbitrary code is unpickled)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No checkpoint at {path}.")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # a truncated or foreign file
        raise ValueError(f"Cannot read the checkpoint {path} ({type(err).__name__}: {err}). "
                         "Delete it to start that run afresh.") from err


def restore(checkpoint: dict, model, optimizer, recipe: Recipe, out: Path) -> Tuple[int, History]:
    """Load a checkpoint into ``model`` and ``optimizer``; returns (iteration, History). The recipe must match."""
    history = History.from_dict(checkpoint["history"])
    saved = dict(history.config)
    saved["milestones"] = list(saved.get("milestones", []))
    if saved != recipe.to_dict():
        diff = {k: (saved.get(k), v) for k, v in recipe.to_dict().items() if saved.get(k) != v}
        raise ValueError(f"The checkpoint in {out} was made with another recipe {diff} (saved, asked). "
                         "Resume with the same configuration, or choose a new output folder.")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    torch.set_rng_state(checkpoint["rng"]["torch"])
    random.setstate(tuple(tuple(s) if isinstance(s, list) else s for s in checkpoint["rng"]["python"]))
    if checkpoint["rng"]["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(checkpoint["rng"]["cuda"])
    history.interrupted = False
    return int(checkpoint["iteration"]), history
