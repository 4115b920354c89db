"""Mean and range over runs that differ only in their seed (every figure shows both).

>>> runs = pd.DataFrame({"b": [4, 4, 8, 8], "steps": [10.0, 14.0, 6.0, float("nan")]})
>>> mean_and_range(runs, "b", ["steps"])
   steps  steps_min  steps_max
b                             
4   12.0       10.0       14.0
8    6.0        6.0        6.0
>>> mean_and_range(runs, "b", ["steps"], strict=True).steps.tolist()  # a seed that never got there
[12.0, nan]
"""

from __future__ import annotations

import pandas as pd

__all__ = ["mean_and_range"]


def mean_and_range(runs: pd.DataFrame, by, columns: list[str], *, strict: bool = False,
                   sort: bool = False) -> pd.DataFrame:
    """Per group of ``by`` (the rows of one group differ only in their seed), each column's
    mean, ``<column>_min`` and ``<column>_max``, NaN left out; with ``strict``, the mean is NaN
    where any seed's value is (a mean over the seeds that got there would flatter). Groups
    keep their order of appearance, or are sorted with ``sort``."""
    grouped = runs.groupby(by, sort=sort)[columns]
    mean = grouped.mean()
    if strict:
        mean = mean.mask(grouped.count().lt(grouped.size(), axis=0))
    return mean.join(grouped.min().add_suffix("_min")).join(grouped.max().add_suffix("_max"))
