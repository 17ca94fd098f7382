"""What a training run leaves behind: per-iteration and per-epoch numbers, saved as JSON."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

_PER_EPOCH = ("epoch", "epoch_iteration", "train_loss", "train_error", "eval_loss", "eval_error", "lr", "time")


def save_json(path, data) -> Path:
    """Write ``data`` as compact JSON atomically: a temporary file in the same folder, then a rename, so a crash
    never leaves a half-written file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@dataclass
class History:
    """Everything a run measured. Errors are in %, times in seconds since the run started.

    Per iteration: ``iter_loss``, ``iter_error`` (the training batch, with augmentation).
    Per epoch: ``epoch``, ``epoch_iteration`` (iterations done at the end of that epoch), ``train_loss`` and
    ``train_error`` (averaged over the epoch's batches), ``eval_loss`` and ``eval_error`` (on the evaluation
    set, which is the validation split when ``eval_name == "validation"``), ``lr`` and ``time``.
    ``diverged_at``: the iteration (counted from 1) at which a run trained with ``on_divergence="stop"``
    diverged and stopped (its ``iter_loss`` ends with the diverging value), else None.
    """

    model: str = ""
    config: Dict = field(default_factory=dict)
    eval_name: str = "test"
    iter_loss: List[float] = field(default_factory=list)
    iter_error: List[float] = field(default_factory=list)
    epoch: List[int] = field(default_factory=list)
    epoch_iteration: List[int] = field(default_factory=list)
    train_loss: List[float] = field(default_factory=list)
    train_error: List[float] = field(default_factory=list)
    eval_loss: List[float] = field(default_factory=list)
    eval_error: List[float] = field(default_factory=list)
    lr: List[float] = field(default_factory=list)
    time: List[float] = field(default_factory=list)
    completed: bool = False
    interrupted: bool = False
    diverged_at: Optional[int] = None
    notes: Dict = field(default_factory=dict)

    @property
    def iterations(self) -> int:
        return len(self.iter_loss)

    def to_dict(self) -> Dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Dict) -> "History":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def save(self, path) -> Path:
        """Write JSON atomically (a temporary file, then a rename)."""
        return save_json(path, self.to_dict())

    @classmethod
    def load(cls, path) -> "History":
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"No training history at {path}. Train first, or check the path.")
        try:
            with open(path) as f:
                data = json.load(f)
            if not isinstance(data, dict):
                raise ValueError(f"it holds a JSON {type(data).__name__}, not an object")
            return cls.from_dict(data)
        except (ValueError, TypeError, UnicodeDecodeError) as err:  # json.JSONDecodeError is a ValueError
            raise ValueError(f"Cannot read the training history {path}: it is damaged or not a History "
                             f"({type(err).__name__}: {err}). Delete it (a run folder's checkpoint.pt holds its own "
                             "History), or restore it from a copy.") from err

    def final(self, key: str) -> Optional[float]:
        """The last per-epoch value of ``key`` (e.g. ``"train_error"``), or None before the first epoch."""
        if key not in _PER_EPOCH:
            raise ValueError(f"{key!r} is not a per-epoch series; choose one of {', '.join(_PER_EPOCH)}")
        values = getattr(self, key)
        return values[-1] if values else None

    def __repr__(self) -> str:
        if not self.epoch:
            return f"History({self.model or 'model'}: {self.iterations} iterations, no epoch finished)"
        epochs = f"{self.epoch[-1]} epoch{'s' * (self.epoch[-1] != 1)}"
        return (f"History({self.model or 'model'}: {epochs}, {self.epoch_iteration[-1]} iterations, "
                f"train error {self.train_error[-1]:.2f}%, {self.eval_name} error {self.eval_error[-1]:.2f}%)")
