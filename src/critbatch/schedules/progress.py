"""How far a run has got, and how a schedule reads it.

A schedule is a pure function of a :class:`Progress` record. Each factory takes a ``unit``, one of
:data:`UNITS`, naming the field it reads; ``"step"`` is the default. For the training loop's
convenience a plain number is read as the step, so step schedules can still be called as
``schedule(k)``.

>>> p = Progress(step=391, epoch=1.0, examples=50_000, stage=2)
>>> [read(p, unit) for unit in UNITS]
[391, 1.0, 50000, 2]
>>> read(7, "step"), shift(p, "epoch", 0.25).epoch
(7, 0.75)
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Callable, Union

__all__ = ["Progress", "Schedule", "UNITS", "check_unit", "read", "shift"]

UNITS = ("step", "epoch", "examples", "stage")


@dataclasses.dataclass(frozen=True)
class Progress:
    r"""Where a run stands when a schedule is read.

    Attributes:
      step: optimizer updates taken so far (0 before the first update).
      epoch: passes over the training set so far, fractional (``examples / n``).
      examples: training examples drawn so far, i.e. the SFO count :math:`\sum_t b_t`.
      stage: the current stage, from :class:`~critbatch.schedules.Stages` (0 without stages).
    """

    step: int
    epoch: float
    examples: int
    stage: int = 0


Schedule = Callable[[Union[int, Progress]], float]


def check_unit(unit: str) -> str:
    """``unit`` itself, or a ValueError when it is not one of :data:`UNITS`."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; use one of {', '.join(map(repr, UNITS))}")
    return unit


def read(progress: int | Progress, unit: str, staircase: bool = False) -> float:
    """The ``unit`` field of ``progress``; a plain number is the step.

    With ``staircase`` the value is rounded down to a whole unit, so a schedule changes only at
    whole epochs (a PyTorch scheduler stepped once per epoch).
    """
    if isinstance(progress, Progress):
        t = getattr(progress, unit)
    elif isinstance(progress, numbers.Real) and not isinstance(progress, bool):
        if unit != "step":
            raise TypeError(f"a schedule in unit {unit!r} needs a Progress record, got the number {progress!r}")
        t = progress
    else:
        raise TypeError(f"a schedule takes a step (int) or a Progress record, got {type(progress).__name__}")
    return math.floor(t) if staircase else t


def shift(progress: int | Progress, unit: str, offset: float) -> int | Progress:
    """``progress`` with its ``unit`` field lowered by ``offset`` (what a joined schedule sees)."""
    if isinstance(progress, Progress):
        return dataclasses.replace(progress, **{unit: getattr(progress, unit) - offset})
    return read(progress, unit) - offset
