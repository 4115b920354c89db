"""When a run first reaches a target: the steps K(b) of Tsukada & Iiduka (training accuracy at
least a target), the iterations t(m) of Ma, Bassily & Belkin (training error at most a level).

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

__all__ = ["first_reach"]


def first_reach(log: pd.DataFrame, column: str, *, at_least: float | None = None,
                at_most: float | None = None) -> pd.Series | None:
    """The first row of ``log`` whose ``column`` is at least ``at_least`` (an accuracy) or at
    most ``at_most`` (a loss); give exactly one of the two. None if no row reaches it."""
    if (at_least is None) == (at_most is None):
        raise ValueError("give exactly one of at_least (e.g. an accuracy) and at_most (e.g. a loss)")
    values = log[column]
    hit = values >= at_least if at_least is not None else values <= at_most
    return log[hit].iloc[0] if hit.any() else None
