"""When a run first reaches a target: the steps K(b) of Tsukada & Iiduka (training accuracy at
least a target), the iterations t(m) of Ma, Bassily & Belkin (training error at most a level);
and, for runs that never did, how they ended, in words for a figure's legend.

>>> log = pd.DataFrame({"step": [0, 10, 20], "train_loss": [1.0, 0.5, 0.2], "train_acc": [0.1, 0.8, 0.97]})
>>> int(first_reach(log, "train_acc", at_least=0.97).step)
20
>>> int(first_reach(log, "train_loss", at_most=0.5).step)
10
>>> first_reach(log, "train_loss", at_most=0.1) is None
True
"""

from __future__ import annotations

import pandas as pd

__all__ = ["ENDINGS", "first_reach", "how_ended"]

#: How a run that did not reach its target ended (the ``status`` of its summary), in words.
ENDINGS = {"stalled": "stalled", "diverged": "diverged", "budget": "ran out of budget"}


def first_reach(log: pd.DataFrame, column: str, *, at_least: float | None = None,
                at_most: float | None = None) -> pd.Series | None:
    """The first row of ``log`` whose ``column`` is at least ``at_least`` (an accuracy) or at
    most ``at_most`` (a loss); give exactly one of the two. None if no row reaches it."""
    if (at_least is None) == (at_most is None):
        raise ValueError("give exactly one of at_least (e.g. an accuracy) and at_most (e.g. a loss)")
    values = log[column]
    hit = values >= at_least if at_least is not None else values <= at_most
    return log[hit].iloc[0] if hit.any() else None


def how_ended(ends: list[tuple[str, int]]) -> str:
    """How the runs of one point ended, in words for a legend, from each run's (status, last
    step); runs with status ``"reached"`` count only in "k of n seeds".

    >>> how_ended([("stalled", 48750), ("stalled", 52500), ("stalled", 52500)])
    'stalled at steps 48,750–52,500'
    >>> how_ended([("reached", 7424), ("stalled", 4224)])
    '1 of 2 seeds stalled at step 4,224'
    """
    missed = [(status, step) for status, step in ends if status != "reached"]
    parts = []
    for status in dict.fromkeys(status for status, _ in missed):
        steps = sorted(step for s, step in missed if s == status)
        where = f"step {steps[0]:,}" if steps[0] == steps[-1] else f"steps {steps[0]:,}–{steps[-1]:,}"
        parts.append(f"{ENDINGS.get(status, status)} at {where}")
    text = ", ".join(parts)
    return text if len(missed) == len(ends) else f"{len(missed)} of {len(ends)} seeds {text}"
