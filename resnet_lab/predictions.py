"""Predict, then run: the learner commits to an answer before an experiment, and sees it compared afterwards.

In a notebook::

    guess = rl.predict("Which net ends with the higher training error?", ["plain-20", "plain-56", "about equal"])
    ...                                    # the experiment runs
    guess.reveal("plain-56", "by 13 to 19 points on every seed")

:func:`predict` shows the choices as buttons (ipywidgets). Where widgets cannot show (a static render of the
notebook, nbval, a terminal) the same cell reads as plain text, and the answer can be given in code:
``guess.choose("plain-56")``. :meth:`Prediction.reveal` prints the measured answer beside the learner's choice.
"""
from __future__ import annotations

from typing import Optional, Sequence

import ipywidgets as widgets
from IPython import get_ipython
from IPython.display import display


class Prediction:
    """One question, its options, and the learner's choice (None until chosen)."""

    def __init__(self, question: str, options: Sequence[str]):
        options = [str(o) for o in options]
        if len(options) < 2 or len(set(options)) != len(options):
            raise ValueError(f"a prediction needs at least two different options; got {options}")
        self.question, self.options = question, options
        self.choice: Optional[str] = None
        self.revealed = False
        self.right: Optional[bool] = None   # after reveal(): whether the choice was the measured answer
        self._buttons = widgets.ToggleButtons(options=options, value=None, description="",
                                              style={"button_width": "auto"})
        self._buttons.observe(self._on_click, names="value")

    def _on_click(self, change) -> None:
        if not self.revealed:
            self.choice = change["new"]

    def choose(self, option: str) -> "Prediction":
        """Give the answer in code (where no buttons show)."""
        if option not in self.options:
            raise ValueError(f"{option!r} is not one of the options {self.options}")
        if self.revealed:
            raise ValueError("the answer has been revealed already: a prediction is made before the experiment")
        self.choice = option
        self._buttons.value = option
        return self

    def text(self) -> str:
        """The question as plain text: what a static render or a terminal shows."""
        options = "\n".join(f"  - {o}" for o in self.options)
        return (f"Predict, then run. {self.question}\n{options}\n"
                f"(run this cell in Jupyter to choose with the buttons, or write  guess.choose(\"...\"))")

    def _repr_mimebundle_(self, include=None, exclude=None):
        box = widgets.VBox([widgets.HTML(f"<b>Predict, then run.</b> {self.question}"), self._buttons])
        bundle = box._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle["text/plain"] = self.text()   # shown where the widget cannot be: a saved notebook, a terminal
        return bundle

    def __repr__(self) -> str:
        return self.text()

    def reveal(self, answer: str, detail: str = "") -> None:
        """Print the measured ``answer`` beside the learner's choice (``self.right`` then says if they agree)."""
        if answer not in self.options:
            raise ValueError(f"the answer {answer!r} is not one of the options {self.options}")
        self.revealed = True
        self._buttons.disabled = True
        measured = f"Measured: {answer}" + (f" ({detail})" if detail else "") + "."
        if self.choice is None:
            print(f"{measured} You did not choose before running; next time commit to an answer first.")
        elif self.choice == answer:
            print(f"{measured} You predicted {self.choice}: right.")
        else:
            print(f"{measured} You predicted {self.choice}: not this time. What did you expect, and why?")
        self.right = self.choice == answer


def predict(question: str, options: Sequence[str]) -> Prediction:
    """Ask ``question`` with ``options`` as buttons (text where widgets cannot show); returns the Prediction."""
    prediction = Prediction(question, options)
    if get_ipython() is not None:
        display(prediction)
    else:
        print(prediction.text())
    return prediction
