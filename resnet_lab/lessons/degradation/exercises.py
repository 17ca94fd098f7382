"""Checkers for notebook 01's exercises."""
from __future__ import annotations

from types import SimpleNamespace


def _history(train, test):
    return SimpleNamespace(final=lambda key: {"train_error": train, "eval_error": test}[key])


# (shallow train, shallow test, deep train, deep test) -> is it degradation?
_CASES = [
    ((30.0, 35.0, 45.0, 48.0), True),    # the deeper net is worse on the training set: degradation
    ((30.0, 35.0, 10.0, 40.0), False),   # deeper fits the training set better, tests worse: overfitting
    ((30.0, 35.0, 25.0, 30.0), False),   # deeper is better everywhere: depth helped
    ((30.0, 35.0, 31.0, 36.0), False),   # within the margin: no clear difference
    ((30.0, 35.0, 42.0, 33.0), True),    # training error rose, even though test error fell
]


def check_is_degradation(is_degradation, margin: float = 5.0) -> None:
    """``is_degradation(shallow, deep, margin)`` must say True exactly when the deeper net's final *training*
    error is higher than the shallower net's by more than ``margin`` points."""
    for (s_train, s_test, d_train, d_test), expected in _CASES:
        got = is_degradation(_history(s_train, s_test), _history(d_train, d_test), margin)
        if bool(got) != expected:
            raise AssertionError(
                f"shallow train/test {s_train}/{s_test}%, deep {d_train}/{d_test}%: expected {expected}, got {got}. "
                "Degradation is about the training error: compare deep.final('train_error') with "
                "shallow.final('train_error') + margin.")
    print(f"Correct: all {len(_CASES)} cases classified, including overfitting (not degradation).")


def check_depth_prediction(predicted_order, histories) -> None:
    """``predicted_order``: model names from lowest to highest final training error, e.g.
    ``["plain20", "plain32", "plain44", "plain56"]``; compared with the measured order."""
    measured = sorted(histories, key=lambda n: histories[n].final("train_error"))
    if list(predicted_order) != measured:
        errors = ", ".join(f"{n} {histories[n].final('train_error'):.1f}%" for n in measured)
        print(f"Not quite: measured order {measured} ({errors}). Was your surprise where the paper's was?")
    else:
        print(f"Your prediction matches the measurement: {measured}.")
