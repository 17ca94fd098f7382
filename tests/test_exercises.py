"""Exercises as a learner meets them: every committed exercise cell starts unsolved and its checker says "Not yet";
every lesson's reference solution, run in the same cell, says "Correct"; solutions show only on request; the
instructor's copy fills them all in; predict-then-run questions read as text where no widget shows."""
import contextlib
import io
import math
import types

import nbformat
import numpy as np
import pytest
import torch
from torch import nn

import resnet_lab as rl
from resnet_lab import checks
from resnet_lab.lessons import building, degradation, gradient_flow, identity, paths, toy2d
from resnet_lab.predictions import Prediction
from resnet_lab.solutions import Solution, SolutionBook
from resnet_lab.tools import instructor
from resnet_lab.tools.notebooks import NOTEBOOKS
from resnet_lab.training import History

COURSE = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
SOLUTIONS = instructor.all_solutions()


def _exercise_cells():
    cells = {}
    for path in COURSE:
        for exercise, cell in instructor.exercise_cells(nbformat.read(path, as_version=4)).items():
            cells[exercise] = (path.name, cell.source)
    return cells


CELLS = _exercise_cells()


def _history(name, train_error):
    return History(model=name, epoch=[1], epoch_iteration=[10], train_error=[train_error],
                   eval_error=[train_error + 3])


def _namespace(exercise):
    """What the notebook has defined by the time the learner reaches ``exercise``'s cell."""
    ns = {"np": np, "torch": torch, "nn": nn, "rl": rl, "degradation": degradation, "gradient_flow": gradient_flow,
          "toy2d": toy2d, "building": building, "identity": identity, "paths": paths, "math": math}
    if exercise == "01.2":   # the four nets of section 4; RUN = True trains plain-32 and plain-44 (faked here)
        trained = {"plain32": _history("plain32", 74.0), "plain44": _history("plain44", 80.0)}
        ns.update(histories={"plain20": _history("plain20", 70.0), "plain56": _history("plain56", 86.0)},
                  data=None, scale=None, session=types.SimpleNamespace(device="cpu"),
                  rl=types.SimpleNamespace(train_or_load_many=lambda names, *a, **k: {n: trained[n] for n in names}))
    if exercise == "01.3":
        group = rl.runs.GROUPS["degradation_classroom"]
        ns["seeds"] = {seed: rl.load_committed(group.name, seed) for seed in group.seeds}
    if exercise == "02.4":
        ns["shattered"] = gradient_flow.shattered_gradients(depth=50, width=200, points=256, seed=0)[1]
        exec(SOLUTIONS["02.3"].code, ns)   # the learner's r(k) from exercise 3
    return ns


def _run(code, ns):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, ns)
    return out.getvalue()


def test_every_exercise_cell_has_one_solution_and_every_solution_a_cell():
    assert sorted(CELLS) == sorted(SOLUTIONS)
    assert len(SOLUTIONS) == 20
    for exercise, (notebook, _) in CELLS.items():
        assert notebook.startswith(exercise.split(".")[0] + "_"), (exercise, notebook)


@pytest.mark.parametrize("exercise", sorted(CELLS))
def test_the_committed_cell_starts_unsolved_and_its_checker_says_what_is_missing(exercise):
    notebook, source = CELLS[exercise]
    printed = _run(source, _namespace(exercise))
    verdicts = [line for line in printed.splitlines() if line.startswith(("Correct", "Not yet"))]
    assert len(verdicts) == 1 and verdicts[0].startswith("Not yet: "), (notebook, printed)
    assert "checking your answer raised" not in printed


@pytest.mark.parametrize("exercise", sorted(SOLUTIONS))
def test_the_reference_solution_passes_the_same_cell(exercise):
    printed = _run(SOLUTIONS[exercise].code, _namespace(exercise))
    verdicts = [line for line in printed.splitlines() if line.startswith(("Correct", "Not yet"))]
    assert len(verdicts) == 1 and verdicts[0].startswith("Correct: "), printed


def test_a_depth_prediction_that_contradicts_the_measurement_is_not_yet():
    measured = {"plain20": _history("plain20", 70.0), "plain32": _history("plain32", 74.0),
                "plain44": _history("plain44", 80.0), "plain56": _history("plain56", 86.0)}
    assert degradation.check_depth_prediction(["plain20", "plain32", "plain44", "plain56"], measured).passed
    wrong = degradation.check_depth_prediction(["plain56", "plain44", "plain32", "plain20"], measured)
    assert not wrong.passed and "you put plain56 before plain44" in wrong.message
    measured["plain44"] = _history("plain44", 73.0)   # 1 point from plain-32: either order counts
    assert degradation.check_depth_prediction(["plain20", "plain44", "plain32", "plain56"], measured).passed
    noted = degradation.check_depth_prediction(["plain20", "plain32", "plain44", "plain56"], None)
    assert not noted.passed and "set RUN = True" in noted.message


def test_seed_gaps_reject_wrong_signs_lengths_and_strings():
    seeds = {0: {"plain20": _history("plain20", 70.0), "plain56": _history("plain56", 85.0)},
             1: {"plain20": _history("plain20", 68.0), "plain56": _history("plain56", 80.0)}}
    assert degradation.check_seed_gaps([15.0, 12.0], seeds).passed
    assert degradation.check_seed_gaps(np.array([15.0, 12.0]), seeds).passed
    for wrong, reason in (([-15.0, -12.0], "wrong sign"), ([15.0], "2 seeds"), (["15", "12"], "without quotes"),
                          ([15.0, math.nan], "finite"), ([15.0, 13.0], "seed 1"), (None, "still None")):
        result = degradation.check_seed_gaps(wrong, seeds)
        assert not result.passed and reason in result.message, (wrong, result)


def test_first_lag_checker_counts_from_one():
    values = np.cos(np.linspace(0, 6 * np.pi, 120))
    r = gradient_flow.autocorrelation(values, 119)
    first = next(k for k in range(1, 120) if r[k] < 0.5)
    assert gradient_flow.check_first_lag_below(first, values).passed
    assert "earlier lag" in gradient_flow.check_first_lag_below(first + 1, values).message
    assert "not below" in gradient_flow.check_first_lag_below(first - 1, values).message
    assert not gradient_flow.check_first_lag_below(first + 0.5, values).passed
    assert not gradient_flow.check_first_lag_below(True, values).passed


def test_a_solution_shows_after_the_checker_has_run_or_when_forced(capsys, monkeypatch):
    monkeypatch.setattr(checks, "ATTEMPTED", set())
    monkeypatch.setattr(rl.solutions, "ATTEMPTED", checks.ATTEMPTED)
    book = SolutionBook("09", [Solution("09.1", "check_sample_annulus", "x = 1", "because")])
    assert book(1) is None and "Try exercise 09.1 first" in capsys.readouterr().out
    assert book(1, force=True).code == "x = 1" and "x = 1" in capsys.readouterr().out
    toy2d.check_sample_annulus(None)     # the learner tried: the checker said "Not yet"
    capsys.readouterr()
    assert book("09.1").exercise == "09.1" and "because" in capsys.readouterr().out
    with pytest.raises(ValueError, match="has no exercise 7; its exercises are 1"):
        book(7)
    with pytest.raises(ValueError, match="does not belong to notebook 09"):
        SolutionBook("09", [Solution("08.1", "c", "", "")])


def test_instructor_copy_fills_in_every_solution_and_leaves_the_learners_notebooks_alone(tmp_path, capsys):
    before = {path: path.read_bytes() for path in COURSE}
    assert instructor.main(["--no-execute", "--out", str(tmp_path)]) == 0
    filled = {}
    for path in COURSE:
        copy = nbformat.read(tmp_path / path.name, as_version=4)
        for exercise, cell in instructor.exercise_cells(copy).items():
            filled[exercise] = cell.source
            assert cell.outputs == [] and cell.execution_count is None
    assert filled == {exercise: s.code for exercise, s in SOLUTIONS.items()}
    assert {path: path.read_bytes() for path in COURSE} == before   # the learners' copies are untouched
    assert capsys.readouterr().out.count("solution(s) filled in") == len(COURSE)


def test_instructor_copy_of_notebook_04_runs_and_every_checker_says_correct(tmp_path):
    path = NOTEBOOKS / "04_building_resnet.ipynb"
    assert instructor.main(["--out", str(tmp_path), str(path)]) == 0
    copy = nbformat.read(tmp_path / path.name, as_version=4)
    cells = instructor.exercise_cells(copy)
    assert sorted(cells) == ["04.1", "04.2", "04.3"]
    for exercise, cell in cells.items():
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert text.startswith("Correct: "), (exercise, text)


@pytest.mark.parametrize("argv, message", [(["--out", str(NOTEBOOKS)], "must not be notebooks/"),
                                           (["nope.ipynb"], "no notebook nope.ipynb")])
def test_instructor_refuses_to_overwrite_the_learners_copies(argv, message, capsys):
    with pytest.raises(SystemExit):
        instructor.main(argv)
    assert message in capsys.readouterr().err


def test_prediction_reads_as_text_records_a_choice_and_reveals(capsys):
    guess = Prediction("Which is deeper?", ["plain-20", "plain-56"])
    bundle = guess._repr_mimebundle_()
    assert bundle["text/plain"].startswith("Predict, then run. Which is deeper?\n  - plain-20\n  - plain-56")
    assert "application/vnd.jupyter.widget-view+json" in bundle
    guess.reveal("plain-56", "by 13 points")
    assert guess.right is False
    assert capsys.readouterr().out == ("Measured: plain-56 (by 13 points). You did not choose before running; "
                                       "next time commit to an answer first.\n")
    with pytest.raises(ValueError, match="before the experiment"):
        guess.choose("plain-56")
    right = Prediction("Which is deeper?", ["plain-20", "plain-56"]).choose("plain-56")
    right.reveal("plain-56")
    assert right.right is True and "You predicted plain-56: right." in capsys.readouterr().out
    wrong = Prediction("Which is deeper?", ["plain-20", "plain-56"])
    wrong._buttons.value = "plain-20"          # a click on a button
    wrong.reveal("plain-56")
    assert wrong.choice == "plain-20" and wrong.right is False
    assert "not this time" in capsys.readouterr().out
    for bad in (["only one"], ["a", "a"]):
        with pytest.raises(ValueError, match="at least two different options"):
            Prediction("?", bad)
    with pytest.raises(ValueError, match="not one of the options"):
        Prediction("?", ["a", "b"]).choose("c")


def test_rl_predict_prints_the_question_outside_jupyter(capsys):
    guess = rl.predict("Bounded?", ["yes", "no"])
    assert capsys.readouterr().out.startswith("Predict, then run. Bounded?\n  - yes\n  - no\n")
    assert guess.choice is None
