"""Checkers for notebook 01's exercises.

Each checker prints and returns a :class:`resnet_lab.checks.Check`: "Correct: ..." or "Not yet: ..." with what
to fix; ``check.passed`` is a bool.

1. :func:`check_is_degradation`: your ``is_degradation(shallow, deep, margin)``, on five made-up pairs of runs.
2. :func:`check_depth_prediction`: your predicted order of the plain nets' final training errors, against the
   measured order (two nets closer than :data:`TIE_POINTS` count as a tie: either order is right).
3. :func:`check_seed_gaps`: your list of plain-56 minus plain-20 gaps, one per committed seed.

The reference solutions are in :mod:`resnet_lab.lessons.degradation.solutions`.
"""
from __future__ import annotations

from resnet_lab.checks import Check, NotYet, as_bool, as_number, call_learner, checker, describe
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


#: Final training errors closer than this (points) are a tie for :func:`check_depth_prediction`: one seed of a
#: short run cannot order them.
TIE_POINTS = 2.0
PLAIN_DEPTHS = ("plain20", "plain32", "plain44", "plain56")


@checker
def check_depth_prediction(predicted_order, histories=None) -> Check:
    """``predicted_order``: model names from lowest to highest final training error, e.g.
    ``["plain56", "plain44", "plain32", "plain20"]``; compared with the measured order of ``histories`` (None:
    not trained yet). Nets whose errors differ by less than :data:`TIE_POINTS` may come in either order."""
    names = sorted(histories) if histories else list(PLAIN_DEPTHS)
    if predicted_order is None or predicted_order is ...:
        raise NotYet(f"write your prediction first: a list of {names}, lowest final training error first")
    if not isinstance(predicted_order, (list, tuple)) or not all(isinstance(n, str) for n in predicted_order):
        raise NotYet(f"give a list of model names such as {names}; got {describe(predicted_order)}")
    if sorted(predicted_order) != sorted(names):
        missing = sorted(set(names) - set(predicted_order))
        unknown = sorted(set(predicted_order) - set(names))
        raise NotYet(f"name each of {names} exactly once (missing: {missing}, unknown: {unknown})")
    if not histories:
        raise NotYet(f"prediction noted: {list(predicted_order)}. Now set RUN = True and run the cell again to "
                     "train plain-32 and plain-44 and compare")
    error = {n: histories[n].final("train_error") for n in names}
    measured = sorted(names, key=error.get)
    errors = ", ".join(f"{n} {error[n]:.1f}%" for n in measured)
    wrong = [(a, b) for i, a in enumerate(predicted_order) for b in predicted_order[i + 1:]
             if error[a] > error[b] + TIE_POINTS]
    if wrong:
        a, b = wrong[0]
        return Check(False, f"you put {a} before {b}, but {a} ended {error[a] - error[b]:.1f} points higher. "
                            f"The measured order is {measured} ({errors}). Was your surprise where the paper's was?")
    return Check(True, f"your prediction agrees with the measurement: {measured} ({errors}; nets within "
                       f"{TIE_POINTS:g} points count as a tie).")


@checker
def check_seed_gaps(gaps, seeds) -> Check:
    """``gaps``: plain-56's minus plain-20's final training error (points), one per seed of ``seeds``
    (``{seed: {model: History}}``, the committed runs), in the order of ``seeds``."""
    want = [runs["plain56"].final("train_error") - runs["plain20"].final("train_error") for runs in seeds.values()]
    if gaps is None or gaps is ...:
        raise NotYet(f"`gaps` is still {describe(gaps)}: make it a list of {len(want)} numbers, one per seed")
    if hasattr(gaps, "tolist"):   # a tensor or an array
        gaps = gaps.tolist()
    if not isinstance(gaps, (list, tuple)):
        raise NotYet(f"`gaps` should be a list of {len(want)} numbers; got {describe(gaps)}")
    if len(gaps) != len(want):
        raise NotYet(f"`gaps` has {len(gaps)} entries; there are {len(want)} seeds: {list(seeds)}")
    for seed, got, expected in zip(seeds, gaps, want):
        value = as_number(got, what=f"the gap of seed {seed}")
        if abs(value + expected) < 0.05 and abs(expected) > 0.05:
            raise NotYet(f"seed {seed}: {value:.2f} has the wrong sign; subtract plain-20's error from plain-56's")
        if abs(value - expected) > 0.05:
            raise NotYet(f"seed {seed}: {value:.2f} is not plain-56's final training error minus plain-20's; "
                         "use runs[\"plain56\"].final(\"train_error\") for each seed's runs")
    sign = "positive on every seed" if min(want) > 0 else "not positive on every seed"
    return Check(True, f"gaps {', '.join(f'{g:+.1f}' for g in want)} points: {sign}, from {min(want):+.1f} to "
                       f"{max(want):+.1f}. Your own seed's run lands in or near that range.")
