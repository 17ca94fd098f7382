"""What every exercise checker returns, and the helpers that keep checkers from being fooled.

A checker (in ``lessons/*/exercises.py``) takes the learner's answer, a function, a class, a number or a net,
prints its verdict as "Correct: ..." or "Not yet: <what to fix>" and returns it as a :class:`Check`. It never
raises on a bad answer: code that raises, loops for ever, returns None, the wrong type, NaN, or a number
written as a string is a "Not yet" that says which.

Checkers are written with :func:`checker`. Inside one, the helpers here (:func:`call_learner`,
:func:`as_tensor`, :func:`largest_difference`, :func:`as_number`, :func:`as_bool`) raise :class:`NotYet` with
the message for the learner, and :func:`checker` turns it into the result.
"""
from __future__ import annotations

import contextlib
import functools
import math
import numbers
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np
import torch

TIME_LIMIT_S = 10.0   # the longest one call of the learner's code may run before it counts as a loop
#: The names of the checkers run in this session (a solution is shown once its checker has been tried).
ATTEMPTED: set = set()
STUB_HINT = "replace the `raise NotImplementedError` with your code, then run the cell again"


@dataclass
class Check:
    """The outcome of a checker: ``passed`` and a message saying why. ``bool(check)`` is ``passed``."""

    passed: bool
    message: str
    _printed: bool = field(default=False, init=False, repr=False, compare=False)

    def __repr__(self) -> str:
        return ("Correct: " if self.passed else "Not yet: ") + self.message

    __str__ = __repr__

    def __bool__(self) -> bool:
        return self.passed

    def show(self) -> "Check":
        """Print the verdict and return this Check (what every checker does before it returns)."""
        print(self)
        self._printed = True
        return self

    def _repr_pretty_(self, p, cycle):
        p.text(repr(self))

    def _ipython_display_(self):
        # A checker has already printed its verdict: a cell ending in `check_...(answer)` shows it once, not twice.
        if self._printed:
            self._printed = False
        else:
            print(self)


class NotYet(Exception):
    """Raised inside a checker with the "Not yet" message for the learner; :func:`checker` catches it."""


def checker(function: Callable[..., Check]) -> Callable[..., Check]:
    """Make ``function`` an exercise checker: a :class:`NotYet`, or any other exception the learner's answer
    causes, becomes a failed :class:`Check`; the verdict is printed and returned."""

    @functools.wraps(function)
    def run(*args, **kwargs) -> Check:
        ATTEMPTED.add(function.__name__)
        try:
            result = function(*args, **kwargs)
        except NotYet as reason:
            result = Check(False, str(reason))
        except _TimeUp:   # the time limit ran out just as the learner's code returned
            result = Check(False, f"your code ran for more than {TIME_LIMIT_S:g} s: look for a loop that never ends")
        except Exception as err:  # the answer broke the check itself: report it, never raise at the learner
            result = Check(False, f"checking your answer raised {type(err).__name__}: {err}")
        return result.show()

    return run


def describe(value) -> str:
    """A short phrase for what the learner gave: ``None``, ``the string '12'``, ``a tensor of shape [3]``."""
    if value is None:
        return "None"
    if value is ...:
        return "..."
    if isinstance(value, str):
        return f"the string {value!r:.60}"
    if torch.is_tensor(value) or isinstance(value, np.ndarray):
        return f"{'a tensor' if torch.is_tensor(value) else 'an array'} of shape {list(value.shape)}"
    if isinstance(value, type):
        return f"the class {value.__name__}"
    if callable(value) and hasattr(value, "__name__"):
        return f"the function {value.__name__}"
    kind = type(value).__name__
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    if isinstance(value, (numbers.Number, np.generic, list, tuple, dict)):
        return f"{article} {kind} ({' '.join(repr(value).split()):.60})"
    return f"{article} {kind}"


class _TimeUp(BaseException):
    """Raised by the alarm; a BaseException, so that the learner's ``except Exception`` cannot swallow it."""


@contextlib.contextmanager
def _time_limit(seconds: Optional[float]):
    """Interrupt the block after ``seconds`` (Unix, main thread only: elsewhere no limit)."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, stop)
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
        if outer_delay:   # someone else's alarm was running: give it back what is left of it
            left = max(outer_delay - (time.monotonic() - start), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, outer_interval)


def call_learner(function, *args, what: str = "your function"):
    """``function(*args)``, or :class:`NotYet` saying what went wrong: not callable, still the
    ``raise NotImplementedError`` stub, raised another exception, or ran longer than :data:`TIME_LIMIT_S`."""
    if not callable(function):
        raise NotYet(f"pass your function (or class) itself, not its result; got {describe(function)}")
    try:
        with _time_limit(TIME_LIMIT_S):
            return function(*args)
    except NotImplementedError:
        raise NotYet(f"{what} still raises NotImplementedError: {STUB_HINT}") from None
    except _TimeUp:
        raise NotYet(f"{what} ran for more than {TIME_LIMIT_S:g} s: look for a loop that never ends") from None
    except Exception as err:
        raise NotYet(f"{what} raised {type(err).__name__}: {err}") from None


def as_tensor(value, shape: Optional[Sequence[int]] = None, what: str = "your output") -> torch.Tensor:
    """``value`` if it is a tensor of ``shape`` (when given) with no NaN or infinite entries, else :class:`NotYet`."""
    shape = None if shape is None else tuple(shape)
    if not torch.is_tensor(value):
        expected = f" of shape {list(shape)}" if shape is not None else ""
        raise NotYet(f"{what} should be a torch tensor{expected}; got {describe(value)}")
    if shape is not None and tuple(value.shape) != shape:
        raise NotYet(f"{what} has shape {list(value.shape)}; expected {list(shape)}")
    if (value.is_floating_point() or value.is_complex()) and not bool(torch.isfinite(value).all()):
        raise NotYet(f"{what} contains NaN or infinite values")
    return value


def largest_difference(got: torch.Tensor, want: torch.Tensor) -> float:
    """max |got - want| (float64), infinite when any entry is NaN or infinite, so ``gap > tolerance`` rejects it."""
    gap = (got.detach().double() - want.detach().double()).abs()
    if gap.numel() == 0:
        return 0.0
    return float(gap.max()) if bool(torch.isfinite(gap).all()) else math.inf


def as_number(value, what: str = "your answer", integer: bool = False):
    """The number in ``value``, strictly: an int or float (a numpy scalar or a one-element tensor or array
    will do), finite, and whole when ``integer``; a string, None, a bool or NaN is :class:`NotYet`."""
    if value is None or value is ...:
        raise NotYet(f"{what} is still {describe(value)}: replace it with a number")
    if isinstance(value, str):
        raise NotYet(f"{what} is {describe(value)}: write the number itself, without quotes")
    if torch.is_tensor(value) or isinstance(value, np.ndarray):
        if (value.numel() if torch.is_tensor(value) else value.size) != 1:
            raise NotYet(f"{what} should be one number; got {describe(value)}")
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise NotYet(f"{what} should be a number; got {describe(value)}")
    if not math.isfinite(value):
        raise NotYet(f"{what} is {value}: give a finite number")
    if integer:
        if isinstance(value, numbers.Integral):
            return int(value)
        if not float(value).is_integer():
            raise NotYet(f"{what} is {value!r}, not a whole number")
        return int(value)
    return float(value)


def as_bool(value, what: str = "your answer") -> bool:
    """``value`` as True or False when it is one (a numpy bool or a one-element bool tensor will do),
    else :class:`NotYet`: a number, None or a string is not an answer to a yes/no question."""
    if torch.is_tensor(value) and value.dtype == torch.bool and value.numel() == 1:
        return bool(value.item())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise NotYet(f"{what} should be True or False; got {describe(value)}")


def randomise_batch_norms(module: torch.nn.Module, generator: torch.Generator) -> torch.nn.Module:
    """Give every batch norm of ``module`` non-trivial weights and running statistics, as after training, so that a
    checker comparing a learner's layer with a reference also tests the batch norms' place (returns ``module``)."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=generator))
                m.bias.copy_(torch.rand(c, generator=generator) - 0.5)
                m.running_mean.copy_(torch.rand(c, generator=generator) - 0.5)
                m.running_var.copy_(0.5 + torch.rand(c, generator=generator))
    return module
