"""Learning-rate and batch-size schedules as pure functions of the step (optax style).

A schedule maps the number of steps already taken, ``k = 0, 1, 2, ...``, to a value. With no
hidden state, resuming a run only means calling the schedule with the step count. Configs store
a schedule as a small JSON-able spec, ``{"kind": ..., **arguments}``, that :func:`from_spec`
turns back into the function.

>>> bs = piecewise_constant(boundaries=[100, 200], values=[16, 32, 64])
>>> [bs(k) for k in (0, 99, 100, 250)]
[16, 16, 32, 64]
"""

from __future__ import annotations

import bisect
from typing import Callable

from .specs import resolve

__all__ = ["Schedule", "constant", "from_spec", "piecewise_constant"]

Schedule = Callable[[int], float]


def constant(value: float) -> Schedule:
    r"""The schedule :math:`v_k = v` for every step :math:`k`."""

    def schedule(step: int) -> float:
        return value

    return schedule


def piecewise_constant(boundaries: list[int], values: list[float]) -> Schedule:
    r"""Values held between boundaries: :math:`v_k = v_j` for :math:`t_{j-1} \le k < t_j`.

    ``values`` has one entry more than ``boundaries``, which must increase strictly.
    """
    if len(values) != len(boundaries) + 1:
        raise ValueError(f"need len(values) == len(boundaries) + 1, got {len(values)} and {len(boundaries)}")
    if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
        raise ValueError(f"boundaries must increase strictly, got {boundaries}")
    boundaries, values = list(boundaries), list(values)

    def schedule(step: int) -> float:
        return values[bisect.bisect_right(boundaries, step)]

    return schedule


_FACTORIES = {"constant": constant, "piecewise_constant": piecewise_constant}


def from_spec(spec: dict) -> Schedule:
    """Build a schedule from ``{"kind": name, **arguments}``.

    >>> from_spec({"kind": "constant", "value": 0.1})(7)
    0.1
    """
    return resolve(spec, _FACTORIES, "schedule")()
