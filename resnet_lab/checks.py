"""What every exercise checker returns."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Check:
    """The outcome of a checker: ``passed`` and a message saying why."""

    passed: bool
    message: str

    def __repr__(self) -> str:
        return ("Correct: " if self.passed else "Not yet: ") + self.message

    __str__ = __repr__

    def _repr_pretty_(self, p, cycle):
        p.text(repr(self))

    def __bool__(self) -> bool:
        return self.passed
