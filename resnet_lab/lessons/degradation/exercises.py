"""Checkers for notebook 01's exercises.

Each checker prints and returns a :class:`resnet_lab.checks.Check`: "Correct: ..." or "Not yet: ..." with what
to fix; ``check.passed`` is a bool.

1. :func:`check_is_degradation`: your ``is_degradation(shallow, deep, margin)``, on five made-up pairs of runs.
2. :func:`check_depth_prediction`: your predicted order of the plain nets' final training errors.
"""
from __future__ import annotations

from resnet_lab.checks import Check, NotYet, as_bool, call_learner, checker, describe
from resnet_lab.training import History


def _history(name: str, train: float, test: float) -> History:
    """A one-epoch History with these final training and test errors (%)."""
    return History(model=name, epoch=[1], epoch_iteration=[100], train_error=[train], eval_error=[test])


# (shallow train, shallow test, deep train, deep test) -> is it degradation?
_CASES = [
    ((30.0, 35.0, 45.0, 48.0), True),    # the deeper net is worse on the training set: degradation
    ((30.0, 35.0, 10.0, 40.0), False),   # deeper fits the training set better, tests worse: overfitting
    ((30.0, 35.0, 25.0, 30.0), False),   # deeper is better everywhere: depth helped
    ((30.0, 35.0, 31.0, 36.0), False),   # within the margin: no clear difference
    ((30.0, 35.0, 42.0, 33.0), True),    # training error rose, even though test error fell
]


@checker
def check_is_degradation(is_degradation, margin: float = 5.0) -> Check:
    """``is_degradation(shallow, deep, margin)`` must say True exactly when the deeper net's final *training*
    error is higher than the shallower net's by more than ``margin`` points."""
    for (s_train, s_test, d_train, d_test), expected in _CASES:
        case = f"shallow train/test {s_train:g}/{s_test:g}%, deep {d_train:g}/{d_test:g}%"
        what = f"is_degradation(shallow, deep, {margin:g}) on {case}"
        got = call_learner(is_degradation, _history("plain20", s_train, s_test), _history("plain56", d_train, d_test),
                           margin, what=what)
        if as_bool(got, what=what) != expected:
            return Check(False, f"{case}: expected {expected}, got {got}. Degradation is about the training error: "
                                "compare deep.final('train_error') with shallow.final('train_error') + margin.")
    return Check(True, f"all {len(_CASES)} cases classified, including overfitting (not degradation).")


@checker
def check_depth_prediction(predicted_order, histories) -> Check:
    """``predicted_order``: model names from lowest to highest final training error, e.g.
    ``["plain20", "plain32", "plain44", "plain56"]``; compared with the measured order of ``histories``."""
    if not isinstance(predicted_order, (list, tuple)) or not all(isinstance(n, str) for n in predicted_order):
        raise NotYet(f"give a list of model names such as {sorted(histories)}; got {describe(predicted_order)}")
    if sorted(predicted_order) != sorted(histories):
        missing = sorted(set(histories) - set(predicted_order))
        unknown = sorted(set(predicted_order) - set(histories))
        raise NotYet(f"name each of {sorted(histories)} exactly once (missing: {missing}, not measured: {unknown})")
    measured = sorted(histories, key=lambda n: histories[n].final("train_error"))
    errors = ", ".join(f"{n} {histories[n].final('train_error'):.1f}%" for n in measured)
    if list(predicted_order) != measured:
        return Check(False, f"the measured order is {measured} ({errors}). Was your surprise where the paper's was?")
    return Check(True, f"your prediction matches the measurement: {measured} ({errors}).")
