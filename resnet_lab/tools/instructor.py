"""The instructor's copy: ``python -m resnet_lab instructor --out instructor/``.

Writes every notebook with each exercise cell (a code cell tagged ``exercise:NN.K``) replaced by the lesson's
reference solution (``lessons/<topic>/solutions.py``), then executes it top to bottom in a fresh kernel, so
the copy shows every checker saying "Correct" beside the outputs a class will see. The learners' notebooks in
``notebooks/`` are not touched. ``--no-execute`` only fills the solutions in.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Dict, List

from resnet_lab.lessons import building, degradation, gradient_flow, identity, paths, toy2d
from resnet_lab.plots.style import FIGURES_ENV_VAR
from resnet_lab.solutions import Solution
from resnet_lab.tools.notebooks import CHECKOUT, NOTEBOOKS, course_notebooks, execute_notebook

TAG_PREFIX = "exercise:"
BOOKS = (degradation.solution, gradient_flow.solution, toy2d.solution, building.solution, identity.solution,
         paths.solution)


def all_solutions() -> Dict[str, Solution]:
    """Every lesson's solutions, by exercise id ("01.1", ...)."""
    return {s.exercise: s for book in BOOKS for s in book}


def exercise_cells(nb) -> Dict[str, object]:
    """The exercise cells of a notebook, by exercise id (from their ``exercise:NN.K`` tag)."""
    cells = {}
    for cell in nb.cells:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag.startswith(TAG_PREFIX):
                exercise = tag[len(TAG_PREFIX):]
                if exercise in cells:
                    raise ValueError(f"two cells are tagged {tag}")
                cells[exercise] = cell
    return cells


def fill_in_solutions(nb, solutions: Dict[str, Solution]) -> List[str]:
    """Replace each exercise cell's source by its solution; returns the exercise ids filled in."""
    filled = []
    for exercise, cell in exercise_cells(nb).items():
        if exercise not in solutions:
            raise ValueError(f"the cell tagged {TAG_PREFIX}{exercise} has no solution in any lesson's solutions.py")
        cell.source = solutions[exercise].code
        cell.outputs, cell.execution_count = [], None
        filled.append(exercise)
    return filled


def main(argv=None) -> int:
    import nbformat  # deferred: slow to import, and the cli loads this module for every command

    parser = argparse.ArgumentParser(prog="python -m resnet_lab instructor", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: all of notebooks/*.ipynb)")
    parser.add_argument("--out", type=Path, default=CHECKOUT / "instructor",
                        help="folder for the instructor's copies (default: instructor/ in the checkout)")
    parser.add_argument("--no-execute", action="store_true", help="fill in the solutions without running them")
    args = parser.parse_args(argv)
    paths = course_notebooks(parser, args.paths)
    if args.out.resolve() == NOTEBOOKS.resolve():
        parser.error("--out must not be notebooks/: the learners' copies would lose their exercises")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is a file; give a folder")
    args.out.mkdir(parents=True, exist_ok=True)
    solutions, used = all_solutions(), set()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        filled = fill_in_solutions(nb, solutions)
        used.update(filled)
        target = args.out / path.name
        nbformat.write(nb, target)
        if not args.no_execute:
            os.environ.pop(FIGURES_ENV_VAR, None)   # the instructor's copy does not rewrite figures/
            seconds = execute_notebook(target, cwd=path.parent)
            print(f"{target}: {len(filled)} solution(s) filled in, executed in {seconds:.0f} s", flush=True)
        else:
            print(f"{target}: {len(filled)} solution(s) filled in ({', '.join(filled) or 'none'})", flush=True)
    return 0
