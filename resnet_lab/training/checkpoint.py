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
#: Folders a run must never be written into (its files would land among the system's); their sub-folders are
#: refused too where marked with a trailing "/*" (``/usr/*`` refuses ``/usr/bin``, not ``/usr/local/runs``).
SYSTEM_FOLDERS = ("/", "/bin", "/boot", "/dev", "/dev/*", "/etc", "/etc/*", "/home", "/lib", "/lib32", "/lib64",
                  "/media", "/mnt", "/opt", "/proc", "/proc/*", "/root", "/run", "/sbin", "/srv", "/sys", "/sys/*",
                  "/usr", "/usr/*", "/var", "/var/*", "/Applications", "/Library", "/System", "/Users",
                  "/Volumes", "/private")


def _system_folder(folder: Path) -> bool:
    """True for a folder of :data:`SYSTEM_FOLDERS`, the home folder itself, a drive's root, or Windows' own."""
    if folder == Path(folder.anchor) or folder == Path.home().resolve():
        return True
    for entry in SYSTEM_FOLDERS:
        if folder == Path(entry) or (entry.endswith("/*") and folder.parent == Path(entry[:-2])):
            return True
    windows = [os.environ.get(name) for name in ("SystemRoot", "ProgramFiles", "ProgramFiles(x86)")]
    return any(w and folder == Path(w).resolve() for w in windows)


def check_out_folder(out) -> Path:
    """Make sure a run can be written to ``out`` before it trains: create the folder and write a file there.

    A ValueError says what is wrong (a file where the folder should be, a location that cannot be written, a
    system folder such as ``/``, ``/usr`` or the home folder itself) and asks for another output folder.
    Returns ``out`` as a Path.
    """
    out = Path(out).expanduser()
    where = out.resolve()
    choose = "choose another output folder (--out), e.g. runs/<model>-<scale>"
    if _system_folder(where):
        raise ValueError(f"Refusing to write a run into {where}, a system folder (or the home folder itself); "
                         f"{choose}.")
    if where.exists() and not where.is_dir():
        raise ValueError(f"The output folder {out} is a file, not a folder; {choose}.")
    blocker = next((p for p in where.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ValueError(f"Cannot create the output folder {out}: {blocker} is a file, not a folder; {choose}.")
    try:
        where.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=where, prefix=".write-test.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise ValueError(f"Cannot write to the output folder {out} ({err.strerror or err}); choose a folder you can "
                         "write to (--out).") from err
    return out


def architecture(model) -> str:
    """The model's module tree as text (its ``repr``): what a checkpoint must be restored into."""
    return str(model)


def describe(text: str) -> str:
    """The first line of an :func:`architecture`, e.g. ``CifarResNet(depth=20, plain, shortcut='A', width=16)``."""
    lines = text.splitlines()
    head = lines[0].rstrip("(")
    return f"{head}({lines[1].strip()})" if len(lines) > 1 and "=" in lines[1] and ":" not in lines[1] else head


def save_checkpoint(path, model, optimizer, iteration: int, history: History) -> Path:
    """Write a checkpoint atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "architecture": architecture(model),
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


def restore(checkpoint: dict, model, optimizer, recipe: Recipe, out: Path, model_name: str = "") -> Tuple[int, History]:
    """Load a checkpoint into ``model`` and ``optimizer``; returns (iteration, History).

    The model (its name, when given, and its whole module tree) and the recipe must be those the checkpoint was
    made with; otherwise a ValueError names both and says what to do.
    """
    missing = [k for k in ("architecture", "model", "optimizer", "iteration", "history", "rng") if k not in checkpoint]
    if missing:
        raise ValueError(f"{out / CHECKPOINT} is not a resnet_lab checkpoint (no {', '.join(missing)}); it may be a "
                         "bare state_dict. Move it away, or choose another output folder.")
    history = History.from_dict(checkpoint["history"])
    saved_name, saved_arch = history.model, checkpoint["architecture"]
    if (model_name and saved_name and model_name != saved_name) or saved_arch != architecture(model):
        raise ValueError(f"The checkpoint in {out} holds {saved_name or 'a model'} ({describe(saved_arch)}), not the "
                         f"{model_name or 'model'} ({describe(architecture(model))}) asked for. Resume with the same "
                         "model and options, or choose another output folder.")
    saved = dict(history.config)
    saved["milestones"] = list(saved.get("milestones", []))
    # a field the checkpoint does not have (added to Recipe later, default None) counts as its default
    diff = {k: (saved.get(k), v) for k, v in recipe.to_dict().items() if saved.get(k) != v}
    if diff or set(saved) - set(recipe.to_dict()):
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
