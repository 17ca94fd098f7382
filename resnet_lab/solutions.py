"""Reference solutions, shown on request: ``lesson.solution(1)`` in a notebook, after the learner has tried.

Each lesson keeps its solutions in one place, ``lessons/<topic>/solutions.py``: a list of :class:`Solution`,
one per exercise, holding the code that replaces the exercise cell's stub (the same code the instructor copy of
the notebooks runs, ``python -m resnet_lab instructor``) and a few words on why it is right. The lesson's
``__init__`` turns the list into a :class:`SolutionBook`, called as ``lesson.solution(number)``.

A solution is shown once the exercise's checker has run at least once in this session (its "Not yet" says
what is missing, which is often all a learner needs); ``solution(number, force=True)`` shows it at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, Optional

from IPython import get_ipython
from IPython.display import Markdown, display

from resnet_lab.checks import ATTEMPTED


@dataclass(frozen=True)
class Solution:
    """The reference solution of exercise ``exercise`` (e.g. ``"01.2"``: notebook 01, exercise 2).

    ``code`` replaces the stub in the exercise cell (the cell tagged ``exercise:<exercise>`` in the notebook) and
    ends with the same checker call; ``checker`` is that checker's name; ``why`` says why the answer is right.
    """

    exercise: str
    checker: str
    code: str
    why: str

    @property
    def tag(self) -> str:
        """The cell tag of the exercise cell this solution fills in."""
        return f"exercise:{self.exercise}"


class SolutionBook:
    """The solutions of one notebook: ``book(2)`` shows exercise 2's, once its checker has been tried."""

    def __init__(self, notebook: str, solutions: Iterable[Solution]):
        self.notebook = notebook
        self.solutions: Dict[str, Solution] = {}
        for solution in solutions:
            if not solution.exercise.startswith(notebook + "."):
                raise ValueError(f"solution {solution.exercise} does not belong to notebook {notebook}")
            self.solutions[solution.exercise] = solution

    def get(self, number) -> Solution:
        """The :class:`Solution` of exercise ``number`` (1, "1" or "01.1")."""
        key = str(number) if "." in str(number) else f"{self.notebook}.{number}"
        if key not in self.solutions:
            numbers = ", ".join(k.split(".", 1)[1] for k in self.solutions)
            raise ValueError(f"notebook {self.notebook} has no exercise {number!r}; its exercises are {numbers}")
        return self.solutions[key]

    def __call__(self, number, force: bool = False) -> Optional[Solution]:
        """Show exercise ``number``'s solution (after its checker has run once, unless ``force``)."""
        solution = self.get(number)
        if not force and solution.checker not in ATTEMPTED:
            print(f"Try exercise {solution.exercise} first: run its cell, and read what {solution.checker} says "
                  f"(it names what is missing). Then call solution({number!r}) again, or "
                  f"solution({number!r}, force=True) to see the solution now.")
            return None
        _show(solution)
        return solution

    def __iter__(self):
        return iter(self.solutions.values())

    def __len__(self) -> int:
        return len(self.solutions)


def _show(solution: Solution) -> None:
    text = f"Exercise {solution.exercise}, a reference solution: {solution.why}"
    if get_ipython() is not None:
        display(Markdown(f"{text}\n\n```python\n{solution.code.strip()}\n```"))
    else:
        print(f"{text}\n\n{solution.code.strip()}")
